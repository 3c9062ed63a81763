"""Caching of public catalog reads (product detail, listings, search, the category tree) in Redis.

Versioned keys, not deletes: a reader first reads the version token, then the data under
`...:{token}`; a writer replaces the token after its transaction commits. A reader that raced the
write (read the old row before the commit) can at worst store old data under the OLD token, which
nobody reads again, so a price edit is never followed by a stale cached price, which a plain
"delete on commit" cannot promise (the racing reader would put the old value back).

- per product: `catalog:pv:{id}` -> token; detail at `catalog:pd:{id}:{token}`
- everything list-shaped: `catalog:gen` -> token; lists at `catalog:ls:{token}:{digest}`

On Redis (django-redis) the token and the data are read in ONE round trip by a small Lua script
(GET the token, then GET the data key built from it); other cache backends (the local-memory cache
of `make run` without Redis) take the same two steps from Python. Tokens are random integers, which
django-redis stores as plain numbers, so the script can splice them into the data key.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

DETAIL_TTL = 600
LIST_TTL = 300
_GEN_KEY = "catalog:gen"

# KEYS[1] = the token key; ARGV[1] = data key prefix, ARGV[2] = data key suffix.
# (Single-node Redis: the data key is computed inside the script. A Redis Cluster deployment would
# need both keys in one hash slot, e.g. a {catalog} hash tag in CACHE_KEY_PREFIX.)
_LOOKUP_LUA = """
local token = redis.call('GET', KEYS[1])
if not token then return {false, false} end
return {token, redis.call('GET', ARGV[1] .. token .. ARGV[2])}
"""
_scripts: dict[int, Any] = {}


def _product_version_key(product_id: int) -> str:
    return f"catalog:pv:{product_id}"


def _new_token() -> int:
    return secrets.randbits(60)


def _token(key: str) -> int:
    token = cache.get(key)
    if token is not None and not isinstance(token, int):
        token = None
        cache.delete(key)
    if token is None:
        # Missing (first use or evicted): install a fresh random token atomically; data stored under
        # any earlier token is then unreachable, so an eviction can never resurrect old data.
        cache.add(key, _new_token(), timeout=None)
        token = cache.get(key)
        if token is None:
            token = _new_token()
    return int(token)


def _bump(product_ids: list[int]) -> None:
    tokens = {_product_version_key(pid): _new_token() for pid in product_ids}
    tokens[_GEN_KEY] = _new_token()
    cache.set_many(tokens, timeout=None)


def invalidate_products(product_ids: Iterable[int]) -> None:
    """After the current transaction commits, drop cached detail of these products and all lists."""
    ids = sorted({int(pid) for pid in product_ids})
    transaction.on_commit(lambda: _bump(ids))


def invalidate_lists() -> None:
    """After commit, drop every cached list (category, brand or tree changes)."""
    transaction.on_commit(lambda: _bump([]))


def _redis_lookup(token_key: str, data_prefix: str, data_suffix: str) -> tuple[int | None, Any] | None:
    """(token, cached value or None) in one round trip, or None when the cache is not django-redis."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    redis = client.get_client(write=False)
    script = _scripts.get(id(redis))
    if script is None:
        script = _scripts[id(redis)] = redis.register_script(_LOOKUP_LUA)
    token, raw = script(keys=[cache.make_key(token_key)], args=[cache.make_key(data_prefix), data_suffix])
    if token is None:
        return None, None
    try:
        return int(token), (client.decode(raw) if raw is not None else None)
    except ValueError:
        # Not one of our integer tokens (written by an older release): replace it; nothing cached
        # under it can be reached afterwards.
        fresh = _new_token()
        cache.set(token_key, fresh, timeout=None)
        return fresh, None


def _versioned(token_key: str, data_prefix: str, data_suffix: str, ttl: int, build: Callable[[], Any]) -> Any:
    found = _redis_lookup(token_key, data_prefix, data_suffix)
    if found is not None and found[0] is not None:
        token, payload = found
    else:
        token, payload = _token(token_key), None
        if found is None:  # not Redis: the second step
            payload = cache.get(f"{data_prefix}{token}{data_suffix}")
    if payload is None:
        payload = build()
        if payload is not None:
            cache.set(f"{data_prefix}{token}{data_suffix}", payload, ttl)
    return payload


def product_detail(product_id: int, build: Callable[[], Any | None]) -> Any | None:
    return _versioned(_product_version_key(product_id), f"catalog:pd:{product_id}:", "", DETAIL_TTL, build)


def params_digest(kind: str, params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    return f"{kind}:{hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()}"


def listing(kind: str, params: dict[str, Any], build: Callable[[], Any]) -> Any:
    return _versioned(_GEN_KEY, "catalog:ls:", f":{params_digest(kind, params)}", LIST_TTL, build)
