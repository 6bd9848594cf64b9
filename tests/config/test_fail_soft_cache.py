"""The shared cache's failure rules (core/cache.py), against a port where no Redis listens."""

from __future__ import annotations

import time

import pytest

from clienteling.core.cache import FailSoftRedisCache, SharedCacheUnavailable
from tests.servers import free_port


@pytest.fixture
def dead_cache() -> FailSoftRedisCache:
    return FailSoftRedisCache(
        f"redis://127.0.0.1:{free_port()}/0", {"OPTIONS": {"socket_connect_timeout": 0.5}}
    )


def test_reads_and_writes_fail_soft_and_pause_after_a_failure(dead_cache):
    assert dead_cache.get("k", "fallback") == "fallback"
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.add("k", 1) is False
    started = time.monotonic()
    for _ in range(200):
        assert dead_cache.get("k") is None
        dead_cache.set("k", 1)
        dead_cache.set_many({"a": 1})
    # Within the pause nothing is tried: 600 calls take no connection attempt at all.
    assert time.monotonic() - started < 0.2


def test_an_invalidation_that_cannot_reach_redis_refuses_the_change(dead_cache):
    dead_cache.get("k")  # the pause after this failure does not excuse a delete
    with pytest.raises(SharedCacheUnavailable) as refused:
        dead_cache.delete("k")
    assert refused.value.status == 503 and refused.value.code == "unavailable"
    with pytest.raises(SharedCacheUnavailable):
        dead_cache.delete_many(["a", "b"])
