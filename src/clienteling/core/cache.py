"""The shared cache, as pages need it: a Redis that is down or unreachable slows nothing and
breaks nothing, and never lets a process serve what another process has changed.

Reads and writes that fail count as misses: pages then read the database, which is always
right. A process that saw Redis fail leaves it alone for ``RETRY_AFTER`` seconds, so an
unreachable server costs one timeout per process, not one per request. Invalidations
(``delete``) are the exception: a change whose entry cannot be dropped would leave other
processes serving the old value once Redis answers again, so they raise
``SharedCacheUnavailable`` and the change is refused (R-ACT-4, R-DIST-1).

django-redis's ``IGNORE_EXCEPTIONS`` swallows failed deletes as well, which is why this
small subclass of Django's own backend is used instead (docs/architecture.md).
"""

from __future__ import annotations

import logging
import pickle
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from clienteling.core import request_memo
from clienteling.core.errors import DomainError

logger = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_AFTER = 5.0
# Per generation family, the entries a process keeps beside Redis, oldest dropped first: a
# filter panel is some 20 kB, so at most about 10 MB a process.
LOCAL_ENTRIES = 512
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# Per server, shared by the threads of a process (each thread has its own cache object).
_skip_until: dict[str, float] = {}


class SharedCacheUnavailable(DomainError):
    """A change could not drop the shared cache's copy, so it was not made."""

    code = "unavailable"
    status = 503

    def __init__(self) -> None:
        super().__init__(
            _(
                "The shared cache cannot be reached, so this change was not saved: other "
                "servers would go on showing the old value. Try again in a minute."
            )
        )


class FailSoftRedisCache(RedisCache):
    """Django's Redis backend, with reads and writes that fail soft (see the module)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._key = server

    def _soft(self, operation: Callable[[], T], fallback: T) -> T:
        if time.monotonic() < _skip_until.get(self._key, 0.0):
            return fallback
        try:
            return operation()
        except UNREACHABLE as error:
            _skip_until[self._key] = time.monotonic() + RETRY_AFTER
            logger.warning("shared cache unreachable, using the database: %s", error)
            return fallback

    def _hard(self, operation: Callable[[], T]) -> T:
        # Tried even while reads skip Redis: a change must reach it, or not happen.
        try:
            result = operation()
        except UNREACHABLE as error:
            _skip_until[self._key] = time.monotonic() + RETRY_AFTER
            logger.warning("shared cache unreachable, change refused: %s", error)
            raise SharedCacheUnavailable() from error
        _skip_until.pop(self._key, None)
        return result

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return self._soft(
            lambda: super(FailSoftRedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        keys = list(keys)
        return self._soft(lambda: super(FailSoftRedisCache, self).get_many(keys, version), {})

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._soft(lambda: super(FailSoftRedisCache, self).set(key, value, timeout, version), None)

    def set_many(
        self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[str]:
        return self._soft(
            lambda: super(FailSoftRedisCache, self).set_many(data, timeout, version), list(data)
        )

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._soft(
            lambda: super(FailSoftRedisCache, self).add(key, value, timeout, version), False
        )

    def delete(self, key: str, version: int | None = None) -> bool:
        return self._hard(lambda: super(FailSoftRedisCache, self).delete(key, version))

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        keys = list(keys)
        self._hard(lambda: super(FailSoftRedisCache, self).delete_many(keys, version))


def forget(key: str) -> None:
    """Drop a shared entry now, refusing the change if Redis cannot be reached, and again when
    the transaction commits, so that no reader re-caches the old rows in between."""
    cache.delete(key)
    # After the commit the change stands: a failure then is logged, not raised.
    transaction.on_commit(lambda: cache.delete(key), robust=True)


class Generation:
    """A family of shared entries dropped together. Each entry's key carries the family's
    current generation; a change to anything they were read from starts a new one (``bump``),
    so every process reads afresh at its next request (R-DIST-1). Suited to what every request
    reads and HQ rarely changes (grants, settings): one change drops the family at once, where
    tracking which entries it touched would be a second copy of the rules.

    Only requests use it: each entry, and the generation, is read once per request
    (``core.request_memo``). Commands and jobs read the database, as they always see a change
    at their next call. With Redis away every read misses and pages read the database."""

    def __init__(self, name: str, timeout: int = 600) -> None:
        self.name = name
        self.key = f"generation:{name}"
        # A safety net only: a missed invalidation cannot outlive this many seconds.
        self.timeout = timeout
        self._local: OrderedDict[str, bytes] = OrderedDict()

    def _keep(self, key: str, value: bytes) -> None:
        self._local[key] = value
        while len(self._local) > LOCAL_ENTRIES:
            self._local.popitem(last=False)

    def _current(self) -> str:
        found = cache.get(self.key)
        if isinstance(found, str):
            return found
        fresh = secrets.token_hex(8)
        # Of two processes starting a generation at once, both go on with the first.
        if cache.add(self.key, fresh, None):
            return fresh
        found = cache.get(self.key)
        return found if isinstance(found, str) else fresh

    def current(self) -> str:
        """The family's generation as this request sees it: part of a key for anything
        derived from the family's entries."""
        return request_memo.memoized(("generation", self.name), self._current)

    def cached(self, key: str, load: Callable[[], T]) -> T:
        """``load()``'s value for ``key`` in the current generation."""
        if not request_memo.in_request():
            return load()

        def fetch() -> T:
            if request_memo.memoized(("generation-changed", self.name), lambda: False):
                # Read inside the change's transaction: not shared before it commits.
                return load()
            full = f"{self.name}:{self.current()}:{key}"
            # An entry never changes within its generation, so this process keeps a copy
            # (pickled: each request gets its own objects) and asks Redis only for the
            # generation.
            kept = self._local.get(full)
            if kept is not None:
                value: T = pickle.loads(kept)
                return value
            found = cache.get(full)
            if isinstance(found, tuple) and len(found) == 1:
                value = found[0]
            else:
                value = load()
                cache.set(full, (value,), self.timeout)
            self._keep(full, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
            return value

        return request_memo.memoized(("generation", self.name, key), fetch)

    def bump(self) -> None:
        """Start a new generation: now, and again when the transaction commits (``forget``).
        Raises SharedCacheUnavailable when Redis cannot be reached: the change is refused."""
        forget(self.key)
        request_memo.forget_where(self._ours)
        request_memo.remember(("generation-changed", self.name), True)

    def _ours(self, key: Hashable) -> bool:
        return isinstance(key, tuple) and key[:2] == ("generation", self.name)
