"""Activity types are read on every customer page and API call, so they are cached; a change
removes the entry when its transaction commits, so every process reads the new types at its
next request (R-ACT-4). The cache is Redis when REDIS_URL is set, shared by all processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from clienteling.core.cache import forget

T = TypeVar("T")
# A safety net only: a missed invalidation cannot outlive this many seconds.
TIMEOUT = 600


def _key(legal_entity_id: int) -> str:
    return f"timeline:activity-types:v1:{legal_entity_id}"


def activity_types_cached(legal_entity_id: int, load: Callable[[], T]) -> T:
    key = _key(legal_entity_id)
    value = cache.get(key)
    if value is None:
        value = load()
        cache.set(key, value, TIMEOUT)
    return value


def forget_activity_types(legal_entity_id: int) -> None:
    """Raises SharedCacheUnavailable when Redis cannot be reached: the change is refused."""
    forget(_key(legal_entity_id))
