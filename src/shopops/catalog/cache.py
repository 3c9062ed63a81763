"""Caching of public catalog reads (product detail, listings, search, the category tree) in Redis.

Versioned keys, not deletes: a reader first reads the version token, then the data under
`...:{token}`; a writer replaces the token after its transaction commits. A reader that raced the
write (read the old row before the commit) can at worst store old data under the OLD token, which
nobody reads again, so a price edit is never followed by a stale cached price, which a plain
"delete on commit" cannot promise (the racing reader would put the old value back).

- per product: `catalog:pv:{id}` -> token; detail at `catalog:pd:{id}:{token}`
- everything list-shaped: `catalog:gen` -> token; lists at `catalog:ls:{token}:{digest}`

Usually ONE round trip: each process remembers the token it last saw and asks for the token and
the data stored under that remembered token together (an MGET, atomic in Redis). If the token
that comes back is still the remembered one, the data is current; if it moved on (an edit), the
process remembers the new one and fetches again under it. Tokens are random integers.
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

# token key -> the token this process saw last (a hint only: always checked against Redis).
_last_seen: dict[str, int] = {}


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


def _versioned(token_key: str, data_prefix: str, data_suffix: str, ttl: int, build: Callable[[], Any]) -> Any:
    remembered = _last_seen.get(token_key)
    payload = None
    if remembered is not None:
        data_key = f"{data_prefix}{remembered}{data_suffix}"
        found = cache.get_many([token_key, data_key])  # one MGET: token and data read together
        token = found.get(token_key)
        if token == remembered:
            payload = found.get(data_key)
        else:
            remembered = None
    if remembered is None:
        token = _token(token_key)
        if len(_last_seen) > 100_000:  # one entry per product viewed: keep the hint table bounded
            _last_seen.clear()
        _last_seen[token_key] = token
        payload = cache.get(f"{data_prefix}{token}{data_suffix}")
    else:
        token = remembered
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
