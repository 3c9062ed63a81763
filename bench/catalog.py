"""Catalog benchmark: product listing and faceted search over HTTP, against the framework ceiling.

    .venv/bin/python bench/catalog.py [--skus 100000] [--seconds 15] [--runs 3] [--connections 32]
    .venv/bin/python bench/catalog.py --inprocess 2000   # per-request cost without HTTP or load
    .venv/bin/python bench/catalog.py --profile 300      # where an uncached search spends its time

Database and Redis come from DATABASE_URL (default shopops_bench) and REDIS_URL (default Redis DB 5),
so runs sharing a machine can each use their own, e.g.
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shopops_bench_me REDIS_URL=redis://127.0.0.1:6379/6

What it does, all in one run:
1. creates the database (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/shopops_bench) if
   missing, migrates it and seeds a clothing catalogue of --skus SKUs (4 per product: 2 colours x 2
   sizes, Chinese titles from 30 brands x 12 categories) through the bulk import service, timing it;
2. starts gunicorn (gthread workers, DEBUG off, REDIS_URL set) on a local port;
3. loads it with wrk (Debian's `wrk`; a Lua script rotates over a URL list) at --connections
   concurrent connections, for each scenario:
     ping            GET /api/v1/ping: the same server's ceiling (django-ninja, no I/O)
     list (cached)   GET /api/v1/catalog/products?category=..&sort=..&page=..  (24 URLs, warm cache)
     detail (cached) GET /api/v1/catalog/products/<id>  (200 products; live stock lookup included)
     search (cached) GET /api/v1/catalog/search?q=..  with facets (24 queries, warm cache)
     search (cold)   the same endpoint over ~20,000 distinct query/filter/sort/page combinations,
                     the cache generation bumped before each run (as a catalogue edit does): answers
                     are computed (full-text, count, facets), except where a query's count and facets
                     were already computed for another page or sort of it
4. prints requests/s (median of --runs), p50 and p99 latency and the ratio to the ping ceiling.

Goals (issue 3): cached listing >= 70% of the ceiling; faceted search p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shopops_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
os.environ.setdefault("CACHE_KEY_PREFIX", "bench-catalog")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopops.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# One key for the seeding process and the server: the shops' contact numbers are encrypted with it.
os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdef")

SHOP_SLUG = "bench-catalog"
BRANDS = [
    "森马",
    "优衣库",
    "海澜之家",
    "波司登",
    "李宁",
    "安踏",
    "太平鸟",
    "以纯",
    "美特斯邦威",
    "七匹狼",
    "雅戈尔",
    "江南布衣",
    "欧时力",
    "回力",
    "鸿星尔克",
    "特步",
    "九牧王",
    "罗蒙",
    "恒源祥",
    "南极人",
    "北极绒",
    "卡宾",
    "森林物语",
    "拉夏贝尔",
    "梵希蔓",
    "伊芙丽",
    "秋水伊人",
    "韩都衣舍",
    "红豆",
    "杉杉",
]
# (slug, name, English name, parent slug or None)
TREE = [
    ("bench-apparel", "服装", "Apparel", None),
    ("bench-women", "女装", "Women", "bench-apparel"),
    ("bench-men", "男装", "Men", "bench-apparel"),
    ("bench-kids", "童装", "Kids", "bench-apparel"),
    ("bench-w-dress", "连衣裙", "Dresses", "bench-women"),
    ("bench-w-skirt", "半身裙", "Skirts", "bench-women"),
    ("bench-w-tee", "女士T恤", "Women's T-shirts", "bench-women"),
    ("bench-w-shirt", "女士衬衫", "Women's shirts", "bench-women"),
    ("bench-w-coat", "女士外套", "Women's coats", "bench-women"),
    ("bench-m-tee", "男士T恤", "Men's T-shirts", "bench-men"),
    ("bench-m-shirt", "男士衬衫", "Men's shirts", "bench-men"),
    ("bench-m-jacket", "夹克", "Jackets", "bench-men"),
    ("bench-m-hoodie", "卫衣", "Hoodies", "bench-men"),
    ("bench-m-jeans", "牛仔裤", "Jeans", "bench-men"),
    ("bench-k-set", "儿童套装", "Kids' sets", "bench-kids"),
    ("bench-k-down", "儿童羽绒服", "Kids' down jackets", "bench-kids"),
]
LEAVES = [slug for slug, _n, _e, parent in TREE if parent and parent != "bench-apparel"]
NOUNS = {
    "bench-w-dress": "连衣裙",
    "bench-w-skirt": "半身裙",
    "bench-w-tee": "短袖T恤",
    "bench-w-shirt": "衬衫",
    "bench-w-coat": "风衣外套",
    "bench-m-tee": "圆领T恤",
    "bench-m-shirt": "商务衬衫",
    "bench-m-jacket": "夹克",
    "bench-m-hoodie": "连帽卫衣",
    "bench-m-jeans": "直筒牛仔裤",
    "bench-k-set": "儿童套装",
    "bench-k-down": "羽绒服",
}
STYLES = [
    "夏季新款",
    "法式复古",
    "韩版宽松",
    "修身显瘦",
    "简约百搭",
    "加厚保暖",
    "商务休闲",
    "潮流印花",
    "碎花",
    "条纹",
    "纯色",
    "高腰",
    "小个子",
    "大码",
    "宽松",
]
COLOURS = ["红色", "黑色", "白色", "蓝色", "灰色", "粉色", "绿色", "金色", "紫色"]
SIZES = ["S", "M", "L", "XL", "XXL"]
MATERIALS = ["棉", "真丝", "涤纶", "羊毛", "羽绒"]
QUERY_WORDS = [
    "连衣裙",
    "红色 连衣裙",
    "T恤",
    "纯棉 T恤",
    "衬衫",
    "商务 衬衫",
    "卫衣",
    "牛仔裤",
    "羽绒服",
    "外套",
    "碎花",
    "法式 复古",
    "白色",
    "黑色 夹克",
    "森马",
    "优衣库 T恤",
    "李宁 卫衣",
    "儿童 套装",
    "大码",
    "半身裙",
    "夏季 新款",
    "修身",
    "宽松 卫衣",
    "蓝色 牛仔裤",
]


# --- data ----------------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[-1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _taxonomy() -> None:
    from shopops.catalog import demo
    from shopops.catalog.models import AttributeKind, Category

    nodes: dict[str, Category] = {}
    for position, (slug, name, name_en, parent) in enumerate(TREE):
        nodes[slug] = demo.ensure_category(
            name, name_en, slug, parent=nodes.get(parent) if parent else None, position=position
        )
    color = demo.ensure_attribute("color", "颜色", "Colour", AttributeKind.SINGLE, demo.COLOURS)
    size = demo.ensure_attribute("size", "尺码", "Size", AttributeKind.SINGLE, demo.SIZES)
    material = demo.ensure_attribute(
        "material", "材质", "Material", AttributeKind.SINGLE, demo._values(*MATERIALS)
    )
    demo.ensure_link(nodes["bench-apparel"], color, is_variant=True, position=1)
    demo.ensure_link(nodes["bench-apparel"], size, is_variant=True, position=2)
    demo.ensure_link(nodes["bench-apparel"], material, position=3)
    for name in BRANDS:
        demo.ensure_brand(name)


def _rows(first_product: int, count: int, rng: random.Random) -> list[list[str]]:
    rows = []
    for n in range(first_product, first_product + count):
        leaf = LEAVES[n % len(LEAVES)]
        brand = BRANDS[rng.randrange(len(BRANDS))]
        title = f"{brand} {rng.choice(STYLES)}{rng.choice(STYLES)}{NOUNS[leaf]} {2024 + n % 3}款"
        price = rng.choice([39, 59, 79, 99, 129, 159, 199, 259, 299, 399, 499, 699, 999]) + rng.choice(
            [0, 0.9]
        )
        colours = rng.sample(COLOURS, 2)
        sizes = rng.sample(SIZES, 2)
        for i, (colour, size) in enumerate((c, s) for c in colours for s in sizes):
            first = i == 0
            product_cells = (
                [title, leaf, brand, f"材质:{rng.choice(MATERIALS)}"] if first else ["", "", "", ""]
            )
            sku_price = f"{price + (10 if size in ('XL', 'XXL') else 0):.2f}"
            options = f"颜色:{colour}; 尺码:{size}"
            rows.append([f"B{n:06d}", *product_cells, f"B{n:06d}-{i}", options, sku_price, "", "", "300", ""])
    return rows


def seed(n_skus: int) -> dict:
    """Migrate and seed (idempotent); returns timing of the import when it ran."""
    import csv
    import io

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from shopops.catalog import demo
    from shopops.catalog.models import Product, Sku
    from shopops.catalog.services import imports
    from shopops.shops.models import Shop

    call_command("migrate", verbosity=0)
    owner, _ = get_user_model().objects.get_or_create(username="bench-catalog-owner")
    shop, _ = Shop.objects.get_or_create(
        slug=SHOP_SLUG,
        defaults={
            "name": "压测服装旗舰店",
            "owner": owner,
            "contact_name": "压测",
            "contact_phone": "13800000000",
            "status": "active",
        },
    )
    _taxonomy()
    have = Sku.objects.filter(shop=shop).count()
    info = {"skus": have, "imported": 0, "seconds": 0.0}
    products_needed = n_skus // 4
    done_products = have // 4
    rng = random.Random(20261125 + done_products)
    chunk = 2500  # 10,000 SKUs per file
    header = [
        "商品编码",
        "商品标题",
        "类目",
        "品牌",
        "商品属性",
        "SKU编码",
        "规格",
        "售价",
        "划线价",
        "成本价",
        "重量(克)",
        "条码",
    ]
    started = time.monotonic()
    while done_products < products_needed:
        count = min(chunk, products_needed - done_products)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(_rows(done_products, count, rng))
        t0 = time.monotonic()
        job = imports.import_products(
            shop_id=shop.id,
            actor=None,
            content=buffer.getvalue().encode(),
            file_name="bench.csv",
            mode="apply_valid",
        )
        if job.errors:
            raise SystemExit(f"seed import refused rows: {job.errors[:3]}")
        done_products += count
        info["imported"] += job.skus_created
        print(
            f"  seeded {done_products * 4:,} SKUs ({job.skus_created:,} in {time.monotonic() - t0:.1f} s)",
            flush=True,
        )
    info["seconds"] = time.monotonic() - started
    # One shared image per category, then everything complete goes on sale.
    images = {
        leaf: demo._stored_image(leaf, NOUNS[leaf], "bench", demo.PALETTE[i % len(demo.PALETTE)])
        for i, leaf in enumerate(LEAVES)
    }
    ids_by_leaf: dict[str, list[int]] = {}
    for pid, slug in Product.objects.filter(shop=shop).values_list("id", "category__slug"):
        ids_by_leaf.setdefault(slug, []).append(pid)
    demo._attach_shared_images(ids_by_leaf, images)
    demo._publish_ready(shop.id)
    info["skus"] = Sku.objects.filter(shop=shop).count()
    info["products"] = Product.objects.filter(shop=shop, status="on_sale").count()
    from django.db import connections

    connections.close_all()
    return info


def url_sets(rng: random.Random) -> dict[str, list[str]]:
    from shopops.catalog.models import AttributeValue, Brand, Category, Product

    categories = dict(Category.objects.filter(slug__in=[s for s, *_ in TREE]).values_list("slug", "id"))
    top = [categories[s] for s, _n, _e, parent in TREE if parent in (None, "bench-apparel")]
    leaves = [categories[s] for s in LEAVES]
    sorts = ["relevance", "sales", "newest", "price_asc", "price_desc"]
    listing = [
        "/api/v1/catalog/products?" + urlencode({"category": c, "sort": sorts[i % 5], "page": 1 + i % 2})
        for i, c in enumerate((top + leaves) * 2)
    ][:24]
    products = list(Product.objects.filter(status="on_sale").order_by("?").values_list("id", flat=True)[:200])
    detail = [f"/api/v1/catalog/products/{pid}" for pid in products]
    search_cached = ["/api/v1/catalog/search?" + urlencode({"q": q}) for q in QUERY_WORDS]
    brands = list(Brand.objects.values_list("id", flat=True))
    colours = list(AttributeValue.objects.filter(attribute__code="color").values_list("id", flat=True))
    cold: set[str] = set()
    while len(cold) < 20_000:
        params: dict[str, object] = {"q": rng.choice(QUERY_WORDS)}
        roll = rng.random()
        if roll < 0.3:
            params["category"] = rng.choice(leaves + top)
        if rng.random() < 0.3:
            params["brand"] = rng.choice(brands)
        if rng.random() < 0.3:
            params["value"] = rng.choice(colours)
        if rng.random() < 0.3:
            low = rng.choice([0, 50, 100, 200, 500])
            params["price_min"], params["price_max"] = low, low + rng.choice([50, 100, 300])
        params["sort"] = rng.choice(sorts)
        params["page"] = rng.randint(1, 5)
        cold.add("/api/v1/catalog/search?" + urlencode(params))
    return {
        "ping": ["/api/v1/ping"],
        "list (cached)": listing,
        "detail (cached)": detail,
        "search (cached)": search_cached,
        "search (cold)": rng.sample(sorted(cold), len(cold)),  # a random order of distinct queries
    }


# --- server and load ----------------------------------------------------------------------------------


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DB_CONN_MAX_AGE": "600",
        "PYTHONPATH": str(ROOT / "src"),
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [
        gunicorn, "shopops.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning", "--backlog", "2048",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/ping", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    stop_server(process)
    raise SystemExit("gunicorn did not start")


def stop_server(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


LUA = """
local urls = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do urls[#urls + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  i = math.random(#urls)
end
function request()
  i = i % #urls + 1
  return wrk.format("GET", urls[i])
end
"""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(base: str, urls: list[str], seconds: int, connections: int, workdir: Path) -> Result:
    url_file = workdir / f"urls-{abs(hash(tuple(urls[:3])))}.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    script = workdir / "rotate.lua"
    script.write_text(LUA, encoding="utf-8")
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
        "-s", str(script), base, "--", str(url_file),
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(g) for g in socket_errors.groups())
    return Result(rps, _ms(*p50.groups()), _ms(*p99.groups()), failed)


def wsgi_caller() -> Callable[[str], bytes]:
    """GET a URL through Django's WSGI handler as gunicorn calls it (no test client: it connects
    and disconnects signal receivers on every request, which costs time and leaks finalizers)."""
    import io

    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def get(url: str) -> bytes:
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "HTTP_HOST": "localhost",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
        }
        status: list[str] = []
        response = handler(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(response)
        finally:
            response.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{url}: {status[0]}")
        return body

    return get


def inprocess(sets: dict[str, list[str]], requests: int, rounds: int = 7) -> None:
    """Per-request cost of each warm scenario in this process (Django's WSGI handler, no HTTP, no
    concurrency): what a worker spends on one request, free of the load generator and queueing.
    Wall time includes waiting for Redis/PostgreSQL; CPU time is this process's own work only (other
    load on a shared box inflates wall time, much less CPU time)."""
    import gc

    get = wsgi_caller()
    names = [name for name in sets if name != "search (cold)"]
    for name in names:  # warm: fill Redis and this process's near cache
        for url in sets[name]:
            get(url)
    gc.collect()
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):  # interleaved rounds: a burst of other load on the box hits all alike
        for name in names:
            urls = sets[name]
            started, started_cpu = time.perf_counter(), time.process_time()
            for i in range(requests):
                get(urls[i % len(urls)])
            cpu[name].append((time.process_time() - started_cpu) / requests * 1000)
            wall[name].append((time.perf_counter() - started) / requests * 1000)
    median = statistics.median
    ping, ping_best, ping_cpu = median(wall["ping"]), min(wall["ping"]), median(cpu["ping"])
    print(f"in-process, {requests} requests x {rounds} rounds per scenario (ms per request):")
    print("| scenario | wall median | vs ping | wall best | vs ping | CPU median | vs ping |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        ms, best, ms_cpu = median(wall[name]), min(wall[name]), median(cpu[name])
        print(
            f"| {name} | {ms:.3f} | {ping / ms:.0%} | {best:.3f} | {ping_best / best:.0%} | "
            f"{ms_cpu:.3f} | {ping_cpu / ms_cpu:.0%} |"
        )


def profile_cold_search(urls: list[str]) -> None:
    """Where the time of an uncached faceted search goes: SQL (by statement), jieba, the rest."""
    from collections import defaultdict
    from urllib.parse import parse_qs, urlsplit

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shopops.catalog import search as search_module
    from shopops.catalog import text
    from shopops.catalog.api import _search_params
    from shopops.catalog.schemas import SearchQuery

    text.warm_up()
    bump_cache_generation()  # once, as after an edit; every URL below is a distinct query
    by_kind: dict[str, list[float]] = defaultdict(list)
    totals, sql_totals, jieba_totals, counts = [], [], [], []
    original_terms = search_module.query_terms

    def timed_terms(q: str):
        started = time.perf_counter()
        try:
            return original_terms(q)
        finally:
            jieba_totals[-1] += time.perf_counter() - started

    search_module.query_terms = timed_terms
    try:
        for url in urls:
            query = SearchQuery(
                **{
                    k: v if k in ("brand", "value") else v[0]
                    for k, v in parse_qs(urlsplit(url).query).items()
                }
            )
            jieba_totals.append(0.0)
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = search_module.search(_search_params(query, q=query.q, facets=True))
                totals.append(time.perf_counter() - started)
            counts.append(result["count"])
            sql = 0.0
            for q in captured.captured_queries:
                seconds = float(q["time"])
                sql += seconds
                by_kind[_statement_kind(q["sql"])].append(seconds)
            sql_totals.append(sql)
    finally:
        search_module.query_terms = original_terms
    n = len(totals)
    mean = statistics.mean
    print(f"{n} distinct uncached faceted searches, median {statistics.median(counts):.0f} hits")
    p50 = statistics.median(totals) * 1000
    print(f"  total per search: mean {mean(totals) * 1000:.1f} ms, p50 {p50:.1f} ms")
    print(f"  SQL:   {mean(sql_totals) * 1000:.1f} ms ({mean(sql_totals) / mean(totals):.0%})")
    print(f"  jieba: {mean(jieba_totals) * 1000:.2f} ms")
    rest = mean(totals) - mean(sql_totals) - mean(jieba_totals)
    print(f"  Python, ORM, Redis: {rest * 1000:.1f} ms")
    print("  SQL by statement (mean ms per search):")
    for kind, times in sorted(by_kind.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {kind:34} {sum(times) / n * 1000:6.1f} ms  ({len(times) / n:.1f} per search)")


def _statement_kind(sql: str) -> str:
    if sql.startswith("SELECT GROUPING("):
        return "count + category/brand/price (1 scan)"
    if sql.startswith('SELECT "catalog_productfacet"."value_id"'):
        return "attribute facet counts"
    if 'COUNT("catalog_product"."id") FILTER' in sql:
        return "count + price buckets"
    if '"category_id", COUNT' in sql:
        return "category facet"
    if '"brand_id", COUNT' in sql:
        return "brand facet"
    if "SELECT COUNT(*)" in sql:
        return "count"
    if "ts_rank_cd" in sql or "catalog_productimage" in sql:
        return "page of results (ranked)"
    if "catalog_brand" in sql:
        return "brand names"
    if "catalog_attributevalue" in sql:
        return "attribute value names"
    return "other"


def bump_cache_generation() -> None:
    """Make every cached list and search answer unreachable (what a catalogue edit does)."""
    from shopops.catalog import cache

    cache._bump([])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8957)
    parser.add_argument("--only", default="", help="comma-separated scenario names to run")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        help="instead of the load test: N cold searches in-process, timed by part",
    )
    parser.add_argument(
        "--inprocess",
        type=int,
        default=0,
        help="instead of the load test: N warm requests per scenario in-process, ms per request",
    )
    args = parser.parse_args()
    if not shutil.which("wrk") and not (args.profile or args.inprocess):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    if args.inprocess:  # configured as the server runs (DEBUG would log every query)
        os.environ.update(DEBUG="0", DB_CONN_MAX_AGE="600")
    ensure_database(os.environ["DATABASE_URL"])
    print(f"seeding {args.skus:,} SKUs into {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]} ...", flush=True)
    info = seed(args.skus)
    rate = f", import {info['imported'] / info['seconds']:,.0f} SKUs/s" if info["imported"] else ""
    print(f"catalogue: {info['skus']:,} SKUs, {info['products']:,} products on sale{rate}", flush=True)
    sets = url_sets(random.Random(7))
    if args.profile:
        profile_cold_search(sets["search (cold)"][: args.profile])
        return
    if args.inprocess:
        inprocess(sets, args.inprocess)
        return
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        sets = {k: v for k, v in sets.items() if k in wanted or k == "ping"}
    load_before = os.getloadavg()[0]
    server = start_server(args.port, args.workers, args.threads)
    base = f"http://127.0.0.1:{args.port}"
    results: dict[str, list[Result]] = {name: [] for name in sets}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for run in range(1, args.runs + 1):
                for name, urls in sets.items():
                    if name == "search (cold)":
                        bump_cache_generation()
                    else:
                        run_wrk(base, urls, args.warmup, args.connections, workdir)  # warm workers and cache
                    result = run_wrk(base, urls, args.seconds, args.connections, workdir)
                    results[name].append(result)
                    print(
                        f"  run {run} {name:16} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
                        f"p99 {result.p99_ms:6.1f} ms  errors {result.errors}",
                        flush=True,
                    )
    finally:
        stop_server(server)
    print_table(results, args, info)
    # Client, server, PostgreSQL and Redis share the cores; other load on the box shows up here.
    print(
        f"load average (1 min) before {load_before:.1f}, "
        f"after {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


def print_table(results: dict[str, list[Result]], args: argparse.Namespace, info: dict) -> None:
    def median(name: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in results[name])

    ceiling = median("ping", "rps")
    print()
    print(
        f"catalog bench: {info['skus']:,} SKUs / {info['products']:,} products, gunicorn "
        f"{args.workers} gthread workers x {args.threads} threads, wrk -c{args.connections}, "
        f"{args.seconds} s x {args.runs} runs (medians)"
    )
    print("| scenario | req/s | p50 ms | p99 ms | vs ping ceiling | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in results:
        rps = median(name, "rps")
        errors = sum(r.errors for r in results[name])
        print(
            f"| {name} | {rps:,.0f} | {median(name, 'p50_ms'):.1f} | {median(name, 'p99_ms'):.1f} | "
            f"{rps / ceiling:.0%} | {errors} |"
        )
    if "list (cached)" in results:
        ratio = median("list (cached)", "rps") / ceiling
        print(f"goal cached listing >= 70% of ceiling: {'met' if ratio >= 0.7 else 'MISSED'} ({ratio:.0%})")
    for name in ("search (cached)", "search (cold)"):
        if name in results:
            p99 = median(name, "p99_ms")
            print(
                f"goal faceted search p99 < 100 ms, {name}: {'met' if p99 < 100 else 'MISSED'} ({p99:.1f} ms)"
            )


if __name__ == "__main__":
    main()
