"""Caching of public catalog reads (product detail, listings, search, the category tree) in Redis.

Versioned keys, not deletes: a reader first reads the version token, then the data under
`...:{token}`; a writer replaces the token after its transaction commits. A reader that raced the
write (read the old row before the commit) can at worst store old data under the OLD token, which
nobody reads again, so a price edit is never followed by a stale cached price, which a plain
"delete on commit" cannot promise (the racing reader would put the old value back).

- per product: `catalog:pv:{id}` -> token; detail at `catalog:pd:{id}:{token}`
- everything list-shaped: `catalog:gen` -> token; lists at `catalog:ls:{token}:{digest}`
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

DETAIL_TTL = 600
LIST_TTL = 300
_GEN_KEY = "catalog:gen"


def _product_version_key(product_id: int) -> str:
    return f"catalog:pv:{product_id}"


def _new_token() -> str:
    return uuid.uuid4().hex[:12]


def _token(key: str) -> str:
    token = cache.get(key)
    if token is None:
        # Missing (first use or evicted): install a fresh random token atomically; data stored under
        # any earlier token is then unreachable, so an eviction can never resurrect old data.
        cache.add(key, _new_token(), timeout=None)
        token = cache.get(key) or _new_token()
    return token


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


def product_detail(product_id: int, build: Callable[[], Any | None]) -> Any | None:
    key = f"catalog:pd:{product_id}:{_token(_product_version_key(product_id))}"
    payload = cache.get(key)
    if payload is None:
        payload = build()
        if payload is not None:
            cache.set(key, payload, DETAIL_TTL)
    return payload


def params_digest(kind: str, params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    return f"{kind}:{hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()}"


def listing(kind: str, params: dict[str, Any], build: Callable[[], Any]) -> Any:
    key = f"catalog:ls:{_token(_GEN_KEY)}:{params_digest(kind, params)}"
    payload = cache.get(key)
    if payload is None:
        payload = build()
        cache.set(key, payload, LIST_TTL)
    return payload
