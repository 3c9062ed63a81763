"""The per-process near cache: bounded, private copies, one subscription per process."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache

from shopops.core import nearcache


def test_entries_are_bounded_by_bytes_oldest_first():
    near = nearcache.NearCache(max_bytes=20_000)
    for n in range(100):
        near.put(f"k{n}", b"x" * 500, ttl=60)
    assert near._bytes <= 20_000
    assert near.get("k0") is nearcache.MISSING
    assert near.get("k99") == b"x" * 500


def test_a_recently_read_entry_survives_eviction():
    near = nearcache.NearCache(max_bytes=20_000)
    near.put("keep", b"k" * 500, ttl=60)
    for n in range(100):
        near.get("keep")
        near.put(f"k{n}", b"x" * 500, ttl=60)
    assert near.get("keep") == b"k" * 500


def test_an_answer_larger_than_an_eighth_of_the_budget_is_not_kept():
    near = nearcache.NearCache(max_bytes=8_000)
    near.put("big", b"x" * 2_000, ttl=60)
    assert near.get("big") is nearcache.MISSING


def test_entries_expire_like_their_redis_copy(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(nearcache, "_clock", lambda: now[0])
    near = nearcache.NearCache(max_bytes=100_000)
    near.put("k", b"v", ttl=300)
    now[0] += 299
    assert near.get("k") == b"v"
    now[0] += 2
    assert near.get("k") is nearcache.MISSING


def test_callers_get_private_copies_of_non_bytes_values():
    near = nearcache.NearCache(max_bytes=100_000)
    near.put("k", {"items": [1, 2]}, ttl=60)
    first = near.get("k")
    first["items"].append(3)
    assert near.get("k") == {"items": [1, 2]}


def test_the_channel_is_per_key_prefix_and_redis_db(settings):
    if not nearcache.uses_redis():
        pytest.skip("needs the Redis cache")
    name = nearcache.channel_name()
    db = cache.client.get_client(write=True).connection_pool.connection_kwargs.get("db", 0)
    assert settings.CACHES["default"]["KEY_PREFIX"] in name
    assert name.endswith(f":db{db}")


def test_there_is_no_near_cache_without_redis_or_when_turned_off(settings):
    settings.NEAR_CACHE_MAX_BYTES = 0
    assert nearcache.for_process() is None
    settings.NEAR_CACHE_MAX_BYTES = 1_000_000
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert nearcache.for_process() is None


def test_a_forked_worker_builds_its_own_near_cache_and_subscription(monkeypatch):
    if not nearcache.uses_redis():
        pytest.skip("needs the Redis cache")
    monkeypatch.setattr(nearcache, "_instance", None)
    parent = nearcache.for_process()
    assert parent.token("near-test:fork", lambda: 11) == 11
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as a gunicorn worker after fork
        ok = False
        try:
            child = nearcache.for_process()
            ok = (
                child is not parent
                and child.pid == os.getpid()
                and child.token("near-test:fork", lambda: 12) == 12  # its own, empty mirror
                and child._conn is not None
                and child._conn is not parent._conn
            )
        finally:
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    os.close(read)
    parent.close()
    assert answer == b"1"
    assert parent.pid == os.getpid()


@pytest.fixture
def other_process():
    """A second near cache with its own subscription: what another worker sees."""
    if not nearcache.uses_redis():
        pytest.skip("needs the Redis cache")
    near = nearcache.NearCache(max_bytes=1_000_000)
    yield near
    near.close()


def test_a_published_token_is_dropped_by_every_other_copy(other_process):
    assert other_process.token("near-test:a", lambda: 1) == 1
    assert other_process.token("near-test:b", lambda: 1) == 1
    nearcache.set_tokens({"near-test:a": 2})
    assert other_process.token("near-test:a", lambda: 2) == 2  # re-read: the message was applied
    assert other_process.token("near-test:b", lambda: 99) == 1  # untouched keys stay mirrored


def test_a_bulk_bump_makes_every_other_copy_forget_all_tokens(other_process):
    assert other_process.token("near-test:c", lambda: 1) == 1
    nearcache.set_tokens({f"near-test:bulk{n}": n for n in range(nearcache.MAX_KEYS_PER_MESSAGE + 1)})
    assert other_process.token("near-test:c", lambda: 2) == 2
    assert cache.get("near-test:bulk7") == 7
