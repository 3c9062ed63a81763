"""A per-process ("near") copy of versioned cache entries, kept coherent by Redis pub/sub.

Versioned caching (see catalog/cache.py) reads a version token and then the data stored under
`...:{token}`. Data under a token never changes, so a process may keep its own copy of it; what
it must never do is keep using a token that an edit has replaced. This module keeps, per process:

- a mirror of token values (`token key -> token`), filled from Redis on first use;
- a bounded LRU of data entries keyed by the full versioned key (so a new token simply misses).

A cache hit then costs no Redis round trip. Coherence comes from Redis itself:

- a writer sets the new tokens and PUBLISHes their keys on this environment's channel in one
  MULTI/EXEC, then sends one more command (PING) and waits for its answer: Redis writes a
  command's pub/sub messages to every subscriber's socket before it reads the next command, so
  once that answer is back every subscriber's socket already holds the invalidation;
- every process holds one subscriber connection and, on each hit, polls it without blocking and
  drops the mirrored tokens it names before answering;
- a process trusts its mirror only while its subscriber is provably alive: it PINGs over that
  connection every TRUST_SECONDS / 2 and trusts the mirror for TRUST_SECONDS after a PING that
  came back (Redis answers in order, so every message published before that PING was already
  applied). A lost, silent or not yet confirmed subscription falls back to the round-trip path
  (`token()` returns None); after a reconnect the mirror starts empty.

The channel name carries the cache key prefix and the Redis DB number: pub/sub is global to the
Redis server and test runs or environments sharing it must not hear each other.

State is per pid (created lazily after gunicorn forks) and guarded by one lock (gthread workers).
With a non-Redis cache backend (local memory: one process) or NEAR_CACHE_MAX_BYTES = 0 there is
no near copy and callers use their round-trip path as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

TRUST_SECONDS = 1.0  # how long a returned PING vouches for the mirror
RETRY_SECONDS = 1.0  # wait before re-subscribing after a failure
SOCKET_TIMEOUT = 1.0  # a blocking read on the subscriber (rest of a partly received message)
MAX_TOKENS = 200_000  # mirrored token keys (one per product seen); cleared wholesale past it
MAX_KEYS_PER_MESSAGE = 1_000  # a larger bump is published as "*" (forget every token)
_ALL = b"*"
_clock = time.monotonic  # one name for "now", so tests can move time
MISSING = object()  # what NearCache.get returns for "not here"


def uses_redis() -> bool:
    return hasattr(cache, "client") and hasattr(cache.client, "get_client")


def channel_name() -> str:
    """This environment's invalidation channel: key prefix, cache version and Redis DB."""
    pool = cache.client.get_client(write=True).connection_pool
    db = pool.connection_kwargs.get("db", 0)
    return f"{cache.make_key('near-cache')}:db{db}"


def set_tokens(tokens: dict[str, int]) -> None:
    """Store new version tokens and tell every process (no expiry on tokens).

    Call after the writing transaction committed. Returns once every subscriber's socket holds the
    invalidation (see the module docstring), so the next request, wherever it lands, sees it.
    """
    if not uses_redis():
        cache.set_many(tokens, timeout=None)
        return
    client = cache.client.get_client(write=True)
    keys = list(tokens)
    message = _ALL if len(keys) > MAX_KEYS_PER_MESSAGE else "\n".join(keys).encode()
    pipe = client.pipeline(transaction=True)
    pipe.mset({cache.make_key(key): cache.client.encode(value) for key, value in tokens.items()})
    pipe.publish(channel_name(), message)
    pipe.execute()
    client.ping()  # barrier: Redis flushed the PUBLISH to all subscribers before reading this
    near = _instance if _instance is not None and _instance.pid == os.getpid() else None
    if near is not None:
        near.forget(keys if message != _ALL else None)


class NearCache:
    def __init__(self, max_bytes: int) -> None:
        self.pid = os.getpid()
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._conn: Any = None
        self._poller: Any = None
        self._channel = ""
        self._retry_at = 0.0
        self._trusted_until = 0.0
        self._ping_sent_at: float | None = None
        self._ping_seq = 0
        self._epoch = 0  # bumped by every invalidation: guards installing a token read meanwhile
        self._tokens: dict[str, int] = {}
        self._entries: OrderedDict[str, tuple[float, bool, bytes]] = OrderedDict()
        self._bytes = 0

    # --- tokens ------------------------------------------------------------------------------------

    def token(self, key: str, load: Callable[[], int]) -> int | None:
        """The current token of `key`, or None when the mirror cannot be trusted right now."""
        with self._lock:
            if not self._refresh():
                return None
            token = self._tokens.get(key)
            if token is not None:
                return token
            epoch = self._epoch
        token = load()  # a round trip, once per token key per process (and after each edit)
        with self._lock:
            # An invalidation applied while we were reading may be about this key: then the value
            # read is fine for this request but is not remembered.
            if self._refresh() and self._epoch == epoch:
                if len(self._tokens) >= MAX_TOKENS:
                    self._tokens.clear()
                self._tokens[key] = token
        return token

    def forget(self, keys: Iterable[str] | None) -> None:
        """Drop mirrored tokens (all of them when `keys` is None)."""
        with self._lock:
            self._forget(keys)

    def _forget(self, keys: Iterable[str] | None) -> None:
        self._epoch += 1
        if keys is None:
            self._tokens.clear()
        else:
            for key in keys:
                self._tokens.pop(key, None)

    # --- entries -----------------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        """The cached value (a private copy unless bytes: callers may change it), or MISSING."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return MISSING
            expires, pickled, blob = entry
            if expires <= _clock():
                self._drop(key)
                return MISSING
            self._entries.move_to_end(key)
        # Our own pickle of a value this process built or read from its own Redis, as django-redis does.
        return pickle.loads(blob) if pickled else blob  # noqa: S301

    def put(self, key: str, value: Any, ttl: float) -> None:
        pickled = not isinstance(value, bytes)
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) if pickled else value
        size = len(blob) + len(key) + 120  # rough per-entry overhead
        if size > self.max_bytes // 8:  # one huge answer must not flush everything else
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (_clock() + ttl, pickled, blob)
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        _expires, _pickled, blob = self._entries.pop(key)
        self._bytes -= len(blob) + len(key) + 120

    def close(self) -> None:
        """Drop the subscriber connection (tests; a process that ends just exits)."""
        with self._lock:
            if self._conn is not None:
                self._conn.disconnect()
            self._conn = None
            self._poller = None
            self._trusted_until = 0.0

    def clear(self) -> None:
        with self._lock:
            self._forget(None)
            self._entries.clear()
            self._bytes = 0

    # --- the subscriber ----------------------------------------------------------------------------

    def _refresh(self) -> bool:
        """Apply pending invalidations; True if the mirror may be used now (lock held)."""
        now = _clock()
        if self._conn is None and (now < self._retry_at or not self._subscribe(now)):
            return False
        try:
            if self._poller.poll(0):
                while self._conn.can_read(timeout=0):
                    self._handle(self._conn.read_response())
            if self._ping_sent_at is None:
                if now >= self._trusted_until - TRUST_SECONDS / 2:
                    self._ping_seq += 1
                    self._conn.send_command("PING", str(self._ping_seq))
                    self._ping_sent_at = now
            elif now - self._ping_sent_at > TRUST_SECONDS:
                raise TimeoutError("the invalidation subscriber did not answer PING")
        except Exception as exc:  # any failure: stop trusting, reconnect later
            self._lost(now, exc)
            return False
        return now < self._trusted_until

    def _handle(self, reply: Any) -> None:
        kind = reply[0]
        if kind == b"message":
            data = reply[2]
            self._forget(None if data == _ALL else data.decode().split("\n"))
        elif kind == b"pong" and self._ping_sent_at is not None and reply[1] == str(self._ping_seq).encode():
            self._trusted_until = self._ping_sent_at + TRUST_SECONDS
            self._ping_sent_at = None

    def _subscribe(self, now: float) -> bool:
        try:
            pool = cache.client.get_client(write=True).connection_pool
            # RESP2, no automatic health checks, no maintenance push handling: this connection only
            # ever reads the subscription replies, messages and PONGs that _handle expects.
            kwargs = {
                key: value
                for key, value in pool.connection_kwargs.items()
                if not key.startswith("maint_notifications") and key not in ("parser_class", "protocol")
            }
            kwargs.update(
                socket_timeout=SOCKET_TIMEOUT,
                health_check_interval=0,
                protocol=2,
                client_name=f"near-cache:{self.pid}",  # findable in CLIENT LIST
            )
            kwargs.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
            conn = pool.connection_class(**kwargs)
            self._channel = channel_name()
            conn.connect()
            conn.send_command("SUBSCRIBE", self._channel)
            reply = conn.read_response()
            if reply[0] != b"subscribe":
                raise ValueError(f"unexpected reply to SUBSCRIBE: {reply!r}")
        except Exception as exc:
            self._lost(now, exc)
            return False
        self._conn = conn
        self._poller = select.poll()
        self._poller.register(conn._sock.fileno(), select.POLLIN)
        # Nothing published before the subscription can reach us: start from an empty mirror.
        self._forget(None)
        self._trusted_until = now + TRUST_SECONDS
        self._ping_sent_at = None
        return True

    def _lost(self, now: float, exc: BaseException) -> None:
        logger.warning("near cache: invalidation subscriber unavailable (%s); using Redis directly", exc)
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to release
                self._conn.disconnect()
        self._conn = None
        self._poller = None
        self._forget(None)
        self._trusted_until = 0.0
        self._ping_sent_at = None
        self._retry_at = now + RETRY_SECONDS


_instance: NearCache | None = None
_instance_lock = threading.Lock()


def for_process() -> NearCache | None:
    """This process's near cache (created after fork, on first use), or None when there is none."""
    global _instance
    if not uses_redis():
        return None
    max_bytes = int(getattr(settings, "NEAR_CACHE_MAX_BYTES", 0))
    if max_bytes <= 0:
        return None
    near = _instance
    if near is not None and near.pid == os.getpid():
        return near
    with _instance_lock:
        if _instance is None or _instance.pid != os.getpid():
            _instance = NearCache(max_bytes)
        return _instance


def reset() -> None:
    """Forget this process's near copy (tests clear Redis under it; FLUSHDB publishes nothing)."""
    near = _instance
    if near is not None and near.pid == os.getpid():
        near.clear()
