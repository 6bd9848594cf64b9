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
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from clienteling.core.errors import DomainError

logger = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_AFTER = 5.0
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
