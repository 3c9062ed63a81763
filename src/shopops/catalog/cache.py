"""Caching of public catalog reads (product detail, listings, search, the category tree) in Redis.

Versioned keys, not deletes: a reader first reads the version token, then the data under
`...:{token}`; a writer replaces the token after its transaction commits. A reader that raced the
write (read the old row before the commit) can at worst store old data under the OLD token, which
nobody reads again, so a price edit is never followed by a stale cached price, which a plain
"delete on commit" cannot promise (the racing reader would put the old value back).

- per product: `catalog:pv:{id}` -> token; detail at `catalog:pd:{id}:{token}`
- everything list-shaped: `catalog:gen` -> token; lists at `catalog:ls:{token}:{digest}`

Usually NO round trip: with Redis, each process keeps a near copy (core/nearcache.py): a mirror
of the tokens, kept current by Redis pub/sub (a writer publishes the token keys it replaced and
waits until Redis has pushed that to every process; each hit first applies pending invalidations
without blocking), and a bounded LRU of the data under those tokens. When the near copy cannot be
trusted (subscriber not yet confirmed, lost or silent), or with NEAR_CACHE_MAX_BYTES=0, reads take
the round-trip path: the process asks for the token and the data stored under the token it saw
last together (one MGET, atomic in Redis); if the token moved on (an edit), it fetches again under
the new one. Without Redis (local-memory cache, one process) only that path exists.
Tokens are random integers.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from shopops.core import nearcache

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


def _bump(product_ids: list[int], *, lists: bool = True) -> None:
    tokens = {_product_version_key(pid): _new_token() for pid in product_ids}
    if lists:
        tokens[_GEN_KEY] = _new_token()
    if tokens:
        nearcache.set_tokens(tokens)  # and tell every process's near copy


def invalidate_products(product_ids: Iterable[int]) -> None:
    """After the current transaction commits, drop cached detail of these products and all lists."""
    ids = sorted({int(pid) for pid in product_ids})
    transaction.on_commit(lambda: _bump(ids))


def invalidate_product_details(product_ids: Iterable[int]) -> None:
    """After commit, drop cached detail of these products but keep the lists: for display figures
    that change with every sale (sales counts). Lists and search pick them up within LIST_TTL;
    flushing every cached list on every paid order would empty the list cache of a busy shop."""
    ids = sorted({int(pid) for pid in product_ids})
    transaction.on_commit(lambda: _bump(ids, lists=False))


def invalidate_lists() -> None:
    """After commit, drop every cached list (category, brand or tree changes)."""
    transaction.on_commit(lambda: _bump([]))


def _versioned(token_key: str, data_prefix: str, data_suffix: str, ttl: int, build: Callable[[], Any]) -> Any:
    near = nearcache.for_process()
    if near is not None:
        token = near.token(token_key, lambda: _token(token_key))
        if token is not None:
            return _near_read(near, f"{data_prefix}{token}{data_suffix}", ttl, build)
    return _round_trip_read(token_key, data_prefix, data_suffix, ttl, build)


def _near_read(near: nearcache.NearCache, data_key: str, ttl: int, build: Callable[[], Any]) -> Any:
    """The token came from the near mirror: the data from the near LRU, else Redis, else build."""
    payload = near.get(data_key)
    if payload is not nearcache.MISSING:
        return payload
    payload = cache.get(data_key)
    if payload is None:
        payload = build()
        if payload is not None:
            cache.set(data_key, payload, ttl)
    if payload is not None:
        near.put(data_key, payload, ttl)
    return payload


def _round_trip_read(
    token_key: str, data_prefix: str, data_suffix: str, ttl: int, build: Callable[[], Any]
) -> Any:
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
    return listing_by_digest(params_digest(kind, params), build)


def listing_by_digest(digest: str, build: Callable[[], Any]) -> Any:
    """`listing` for a caller that already has `params_digest(kind, params)`."""
    return _versioned(_GEN_KEY, "catalog:ls:", f":{digest}", LIST_TTL, build)
