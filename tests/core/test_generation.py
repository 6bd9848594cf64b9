"""core.cache.Generation: entries shared between requests and processes until anything they
were read from changes (R-DIST-1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from clienteling.core.cache import Generation
from clienteling.core.request_memo import RequestMemoMiddleware


def in_request(work: Any) -> Any:
    """Run ``work`` as a view would, inside a request's memo."""
    found = {}

    def view(request: Any) -> HttpResponse:
        found["value"] = work()
        return HttpResponse()

    RequestMemoMiddleware(view)(RequestFactory().get("/"))
    return found["value"]


class Loads:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> dict[str, int]:
        self.count += 1
        return {"read": self.count}


def test_an_entry_is_read_once_then_shared_by_later_requests():
    family, load = Generation("test-shared"), Loads()
    first = in_request(lambda: family.cached("k", load))
    second = in_request(lambda: family.cached("k", load))
    assert first == second == {"read": 1}
    assert load.count == 1


def test_each_request_gets_its_own_copy():
    """A request that changes what it was given changes nothing for the next one."""
    family, load = Generation("test-copies"), Loads()

    def spoil() -> dict[str, int]:
        value = family.cached("k", load)
        value["read"] = 99
        return value

    in_request(spoil)
    assert in_request(lambda: family.cached("k", load)) == {"read": 1}


@pytest.mark.django_db
def test_a_change_starts_a_new_generation_read_afresh():
    family, load = Generation("test-bump"), Loads()
    in_request(lambda: family.cached("k", load))
    family.bump()
    assert in_request(lambda: family.cached("k", load)) == {"read": 2}


@pytest.mark.django_db
def test_a_request_that_changed_the_family_shares_nothing_it_reads_after():
    """Read inside the change's transaction, a value must not be shared before it commits."""
    family, load = Generation("test-own-change"), Loads()

    def change_then_read() -> Any:
        family.bump()
        return family.cached("k", load)

    assert in_request(change_then_read) == {"read": 1}
    # Not shared: the next request reads again.
    assert in_request(lambda: family.cached("k", load)) == {"read": 2}
    assert in_request(lambda: family.cached("k", load)) == {"read": 2}


def test_outside_a_request_every_call_reads():
    family, load = Generation("test-outside"), Loads()
    family.cached("k", load)
    family.cached("k", load)
    assert load.count == 2


def test_a_generation_lost_from_the_cache_is_a_new_one(settings):
    """A restarted or emptied Redis: entries of the old generation are not found again."""
    from django.core.cache import cache

    family, load = Generation("test-lost"), Loads()
    in_request(lambda: family.cached("k", load))
    cache.delete(family.key)
    assert in_request(lambda: family.cached("k", load)) == {"read": 2}
