"""Reads made once per request: the caller's scope, grants and their legal entity's
settings are read at the first use in a request and reused until it ends.

Outside a request (commands, jobs, tests calling services directly) nothing is kept, so a
change is always seen at the next call (R-DIST-1). The memo is a context variable, so each
thread of a threaded server has its own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("clienteling_request_memo", default=None)


def memoized(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, once per request for ``key``; every call outside a request loads."""
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    value: T = memo[key]
    return value


def in_request() -> bool:
    return _memo.get() is not None


def remember(key: Hashable, value: Any) -> None:
    """Keep ``value`` for ``key`` for the rest of the request (a read that found it anyway)."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def forget(key: Hashable) -> None:
    """Drop ``key`` after the request itself changed what it holds."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)


def forget_where(drop: Callable[[Hashable], bool]) -> None:
    """Drop every key for which ``drop`` is true (a family of entries that just changed)."""
    memo = _memo.get()
    if memo is not None:
        for key in [key for key in memo if drop(key)]:
            del memo[key]


class RequestMemoMiddleware:
    """Gives each request an empty memo and drops it when the response is ready."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
