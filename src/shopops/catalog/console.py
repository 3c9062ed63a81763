"""Catalog console pages (/console/catalog/), inside the django-unfold admin layout.

- products: the shop's products with status filter and search, one-click on/off sale;
- new product: category, title, variant values (颜色 x 尺码 ...) -> one SKU per combination with its
  price, images, then save as draft or put on sale straight away;
- product page: readiness, SKU prices and activity, images, listing actions;
- import: upload CSV/XLSX, choose the mode, see the per-row error report; export and a template.

Access follows the API rule: not a member of the shop -> 404, member without the permission -> 403.
Reading needs catalog.view; every POST needs catalog.manage and calls one service; a refusal is
shown as a message (with the service's reasons) and changes nothing.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shopops.catalog import selectors, services
from shopops.catalog.models import Brand, Category, ImportJob, ImportMode, ProductStatus
from shopops.catalog.services import imports
from shopops.core.errors import DomainError, NotFound, PermissionDenied
from shopops.shops import selectors as shop_selectors
from shopops.shops.access import ensure_shop_perm
from shopops.shops.models import Shop

VIEW = "catalog.view"
MANAGE = "catalog.manage"
PAGE_SIZE = 30
TABS = [
    ("products", "商品", "catalog_console:products"),
    ("new", "发布商品", "catalog_console:product_new"),
    ("import", "批量导入", "catalog_console:import"),
]


def console_page(perm: str = VIEW) -> Callable:
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, shop_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            needed = MANAGE if request.method == "POST" else perm
            try:
                ensure_shop_perm(request.user, shop_id, needed)
            except NotFound as exc:
                raise Http404("shop") from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(needed) from exc
            return view(request, Shop.objects.get(pk=shop_id), *args, **kwargs)

        return wrapper

    return decorator


def _render(
    request: HttpRequest, template: str, shop: Shop, tab: str, title: str, **context: Any
) -> HttpResponse:
    tabs = [{"key": k, "label": label, "url": reverse(name, args=[shop.id])} for k, label, name in TABS]
    return render(
        request,
        f"catalog/console/{template}",
        {
            **admin.site.each_context(request),
            "title": title,
            "shop": shop,
            "tabs": tabs,
            "active_tab": tab,
            "can_manage": shop_selectors.has_shop_perm(request.user, shop.id, MANAGE),
            **context,
        },
    )


def describe(exc: DomainError) -> str:
    """A refusal as one readable line, with the service's reasons when it gave some."""
    reasons = exc.details.get("reasons") if exc.details else None
    if reasons:
        return f"{exc.message}：" + "；".join(str(r.get("message", r.get("code"))) for r in reasons)
    shown = {k: v for k, v in (exc.details or {}).items() if not isinstance(v, list | dict)}
    extra = ", ".join(f"{k}={v}" for k, v in shown.items())
    return f"{exc.message}" + (f"（{extra}）" if extra else "")


def index(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    ids = shop_selectors.shop_ids_with_perm(request.user, VIEW)
    shops = list(
        (Shop.objects.all() if ids is None else Shop.objects.filter(id__in=ids)).order_by("id")[:200]
    )
    if len(shops) == 1:
        return redirect("catalog_console:products", shops[0].id)
    if not shops:
        raise DjangoPermissionDenied(VIEW)
    return render(
        request,
        "catalog/console/index.html",
        {**admin.site.each_context(request), "title": "商品管理", "shops": shops},
    )


# --- products ----------------------------------------------------------------------------------------


@console_page()
def products(request: HttpRequest, shop: Shop) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in ProductStatus.values:
        status = None
    q = (request.GET.get("q") or "").strip()[:64]
    qs = selectors.products_for_shop(shop.id, status=status, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {s: selectors.products_for_shop(shop.id, status=s).count() for s in ProductStatus.values}
    return _render(
        request,
        "products.html",
        shop,
        "products",
        "商品",
        page=page,
        filters={"status": status or "", "q": q},
        statuses=[(value, label, counts[value]) for value, label in ProductStatus.choices],
    )


@console_page()
@require_POST
def product_action(request: HttpRequest, shop: Shop, product_id: int, action: str) -> HttpResponse:
    actions = {"publish": (services.publish, "已上架"), "unpublish": (services.unpublish, "已下架")}
    if action not in actions:
        raise Http404("action")
    service, done = actions[action]
    try:
        product = service(shop_id=shop.id, product_id=product_id, actor=request.user)
        messages.success(request, f"{product.title} {done}")
    except DomainError as exc:
        if exc.status == 404:
            raise Http404("product") from exc
        messages.error(request, describe(exc))
    return redirect(
        request.POST.get("next") or reverse("catalog_console:product", args=[shop.id, product_id])
    )


def _leaf_categories() -> list[dict[str, Any]]:
    categories = list(Category.objects.filter(is_active=True).order_by("path"))
    by_path = {c.path: c for c in categories}
    step = Category.steplen
    leaves = []
    for c in categories:
        if c.numchild == 0:
            names = [
                by_path[c.path[:end]].name
                for end in range(step, len(c.path) + 1, step)
                if c.path[:end] in by_path
            ]
            leaves.append({"id": c.id, "label": " / ".join(names)})
    return leaves


def _variant_choices(category: Category) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(variant axes with their values, descriptive attributes) offered by the category."""
    axes, descriptive = [], []
    for info in selectors.effective_category_attributes(category):
        attribute = info.attribute
        entry = {
            "code": attribute.code,
            "name": attribute.name,
            "kind": attribute.kind,
            "unit": attribute.unit,
            "required": info.is_required,
            "values": list(attribute.values.order_by("position", "id").values("id", "value", "swatch")),
        }
        (axes if info.is_variant else descriptive).append(entry)
    return axes, descriptive


@console_page()
def product_new(request: HttpRequest, shop: Shop) -> HttpResponse:
    category = None
    category_id = request.POST.get("category") or request.GET.get("category")
    if category_id and str(category_id).isdigit():
        category = Category.objects.filter(id=int(category_id), is_active=True, numchild=0).first()
    axes, descriptive = _variant_choices(category) if category else ([], [])
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST" and category is not None:
        created = _create_from_form(request, shop, category, axes, descriptive)
        if created is not None:
            return redirect("catalog_console:product", shop.id, created.id)
    elif request.method == "POST":
        messages.error(request, "请选择一个末级类目 / Choose a leaf category")
    return _render(
        request,
        "product_new.html",
        shop,
        "new",
        "发布商品",
        categories=_leaf_categories(),
        category=category,
        axes=axes,
        descriptive=descriptive,
        brands=Brand.objects.filter(is_active=True).order_by("name"),
        form=form,
        chosen={int(v) for v in request.POST.getlist("values") if v.isdigit()},
    )


def _create_from_form(
    request: HttpRequest, shop: Shop, category: Category, axes: list[dict], descriptive: list[dict]
) -> Any:
    post = request.POST
    chosen = {int(v) for v in post.getlist("values") if v.isdigit()}
    picked_axes = [a for a in axes if any(v["id"] in chosen for v in a["values"])]
    value_lists = [[v for v in a["values"] if v["id"] in chosen] for a in picked_axes]
    code_prefix = (post.get("code_prefix") or "").strip()
    skus = []
    for index, combo in enumerate(itertools.product(*value_lists) if picked_axes else [()], start=1):
        key = "-".join(str(v["id"]) for v in combo)
        price = post.get(f"price__{key}") or post.get("price")
        skus.append(
            {
                "code": (
                    post.get(f"code__{key}") or (f"{code_prefix}-{index:02d}" if code_prefix else "")
                ).strip(),
                "price": price,
                "market_price": post.get(f"market__{key}") or post.get("market_price") or None,
                "options": {a["code"]: v["id"] for a, v in zip(picked_axes, combo, strict=True)},
            }
        )
    attributes: dict[str, Any] = {}
    for attribute in descriptive:
        if attribute["kind"] == "multi":
            raw: Any = [int(v) for v in post.getlist(f"attr__{attribute['code']}") if v.isdigit()]
        else:
            raw = post.get(f"attr__{attribute['code']}", "").strip()
            if attribute["kind"] == "single" and raw.isdigit():
                raw = int(raw)
        if raw not in ("", [], None):
            attributes[attribute["code"]] = raw
    uploads = request.FILES.getlist("images")
    try:
        from django.db import transaction

        with transaction.atomic():
            product = services.create_product(
                shop_id=shop.id,
                actor=request.user,
                category_id=category.id,
                title=post.get("title", ""),
                subtitle=post.get("subtitle", ""),
                description=post.get("description", ""),
                brand=int(post["brand"]) if post.get("brand", "").isdigit() else None,
                spu_code=code_prefix,
                attributes=attributes,
                variant_axes=[a["code"] for a in picked_axes],
                skus=skus,
            )
            for upload in uploads[:20]:
                services.add_product_image(
                    shop_id=shop.id, product_id=product.id, actor=request.user, upload=upload
                )
            if post.get("publish"):
                services.publish(shop_id=shop.id, product_id=product.id, actor=request.user)
    except DomainError as exc:
        messages.error(request, describe(exc))
        return None
    messages.success(request, f"{product.title} 已{'上架' if post.get('publish') else '保存为草稿'}")
    return product


@console_page()
def product_detail(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    try:
        product = selectors.product_for_shop(shop.id, product_id)
    except NotFound as exc:
        raise Http404("product") from exc
    skus = list(product.skus.all())
    available = selectors.available_by_sku([s.id for s in skus])
    rows = [{"sku": s, "label": selectors.sku_label(s), "available": available.get(s.id)} for s in skus]
    return _render(
        request,
        "product.html",
        shop,
        "products",
        product.title,
        product=product,
        rows=rows,
        problems=services.readiness_problems(product),
        images=list(product.images.all()),
    )


@console_page()
@require_POST
def sku_update(request: HttpRequest, shop: Shop, sku_id: int) -> HttpResponse:
    post = request.POST
    changes: dict[str, Any] = {"price": post.get("price"), "is_active": post.get("is_active") == "on"}
    if "market_price" in post:
        changes["market_price"] = post.get("market_price") or None
    try:
        sku = services.update_sku(shop_id=shop.id, sku_id=sku_id, actor=request.user, **changes)
        messages.success(request, f"SKU {sku.code} 已保存")
        product_id = sku.product_id
    except DomainError as exc:
        if exc.status == 404:
            raise Http404("sku") from exc
        messages.error(request, describe(exc))
        product_id = selectors.sku_for_shop(shop.id, sku_id).product_id
    return redirect("catalog_console:product", shop.id, product_id)


@console_page()
@require_POST
def image_upload(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    uploads = request.FILES.getlist("images")
    if not uploads:
        messages.error(request, "请选择图片 / Choose an image")
    for upload in uploads[:20]:
        try:
            services.add_product_image(
                shop_id=shop.id, product_id=product_id, actor=request.user, upload=upload
            )
        except DomainError as exc:
            if exc.status == 404:
                raise Http404("product") from exc
            messages.error(request, f"{upload.name}: {describe(exc)}")
    return redirect("catalog_console:product", shop.id, product_id)


@console_page()
@require_POST
def image_delete(request: HttpRequest, shop: Shop, image_id: int) -> HttpResponse:
    product_id = request.POST.get("product_id", "")
    try:
        services.delete_product_image(shop_id=shop.id, image_id=image_id, actor=request.user)
        messages.success(request, "图片已删除")
    except DomainError as exc:
        if exc.status == 404:
            raise Http404("image") from exc
        messages.error(request, describe(exc))
    if product_id.isdigit():
        return redirect("catalog_console:product", shop.id, int(product_id))
    return redirect("catalog_console:products", shop.id)


# --- import / export -----------------------------------------------------------------------------------


@console_page()
def import_page(request: HttpRequest, shop: Shop) -> HttpResponse:
    if request.method == "POST":
        upload = request.FILES.get("file")
        mode = request.POST.get("mode") or ImportMode.ALL_OR_NOTHING
        if upload is None:
            messages.error(request, "请选择要导入的文件 / Choose a file to import")
        else:
            try:
                job = imports.import_products(
                    shop_id=shop.id,
                    actor=request.user,
                    content=upload.read(),
                    file_name=upload.name,
                    mode=mode,
                )
            except DomainError as exc:
                messages.error(request, describe(exc))
            else:
                level = messages.SUCCESS if job.status == "applied" else messages.WARNING
                if job.status == "rejected":
                    level = messages.ERROR
                messages.add_message(request, level, f"{job.file_name}: {job.get_status_display()}")
                return redirect("catalog_console:import_job", shop.id, job.id)
    jobs = ImportJob.objects.filter(shop=shop).order_by("-id")[:20]
    return _render(
        request,
        "import.html",
        shop,
        "import",
        "批量导入",
        jobs=jobs,
        modes=ImportMode.choices,
        columns=imports.COLUMNS,
        notes=imports.IMPORT_NOTES,
    )


@console_page()
def import_job(request: HttpRequest, shop: Shop, job_id: int) -> HttpResponse:
    job = ImportJob.objects.filter(shop=shop, id=job_id).first()
    if job is None:
        raise Http404("import")
    return _render(request, "import_job.html", shop, "import", f"导入报告 #{job.id}", job=job)


@console_page()
def export(request: HttpRequest, shop: Shop, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(
            imports.export_xlsx(shop.id),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = StreamingHttpResponse(imports.export_csv(shop.id), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="products-{shop.slug}.{fmt}"'
    return response


@console_page()
def template_csv(request: HttpRequest, shop: Shop) -> HttpResponse:
    header = [zh for _key, zh, _ in imports.COLUMNS]
    example = [
        "DRESS-001", "法式碎花连衣裙", "服装/女装/连衣裙", "", "材质:棉", "<p>详情</p>",
        "DRESS-001-R-M", "颜色:红色; 尺码:M", "199.00", "299.00", "80.00", "300", "", "1",
    ]  # fmt: skip
    body = "\ufeff" + ",".join(header) + "\r\n" + ",".join(f'"{v}"' for v in example) + "\r\n"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="catalog-import-template.csv"'
    return response
