"""Reads of pages from a PostgreSQL read replica, everything else from the primary
(R-SCALE-3, docs/scaling.md). Installed only when ``DATABASE_REPLICA_URL`` is set.

A read goes to the replica only when all of these hold, so nobody misses what they wrote:

- it is made while a request is served (``ReplicaReadsMiddleware``): commands, background
  jobs and anything else outside a request read the primary, because they interleave
  reads and writes (an import's upsert reads what it wrote a batch before);
- the request is a GET, HEAD or OPTIONS: a POST decides on what it reads, so it reads
  the primary;
- the request has not written yet: after its first write, its reads go to the primary;
- no transaction is open on the primary (``in_atomic_block``): a service reads and
  writes in one transaction, on one connection;
- the browser did not write in the last ``REPLICA_PIN_SECONDS`` seconds: a POST (PUT,
  PATCH, DELETE) that wrote sets a short cookie, so the page after it (a redirect)
  reads the primary even while the replica lags behind;
- the model is not one that must never be stale (``PRIMARY_ONLY``): sessions (a login
  must hold at the next request), API tokens (a revoked one stops at once), login
  throttling (every failure counts), and what fills
  the shared cache: logins, grants, workers and stores (``organization.access``), HQ's
  parameters and attribute catalogue (``clientbooks.selectors.SETTINGS``), activity
  types, analytics settings. An entry dropped when a change commits is filled again by the
  next request in any process; read from a replica a moment behind, it would keep the old
  value until it expires. A new cached read adds its models here.

Writes and migrations go to the primary only. Objects from either alias may be related:
the replica holds the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase

PRIMARY = "default"
REPLICA = "replica"
# Apps ("app") and models ("app.Model") always read from the primary (see the module).
PRIMARY_ONLY = frozenset(
    {
        "sessions",
        "axes",
        "api",
        "auth",
        "organization",
        "insights",
        "timeline.ActivityType",
        # HQ's settings (clientbooks.selectors.SETTINGS).
        "clientbooks.ClientelingParameters",
        "clientbooks.NumberSequence",
        "attributes.Attribute",
        "attributes.AttributeChoice",
        "attributes.AttributeGroup",
        "attributes.AttributeGroupMember",
    }
)
PIN_COOKIE = "clienteling_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class ReadState:
    """Where the reads of one request may go: ``pinned`` to the primary from the start,
    and ``wrote`` once the request has written."""

    pinned: bool = False
    wrote: bool = False


_state: ContextVar[ReadState | None] = ContextVar("clienteling_read_state", default=None)


@contextmanager
def replica_reads(*, pinned: bool = False) -> Iterator[ReadState]:
    """Let the reads made inside go to the replica (unless ``pinned``) until the first write."""
    state = ReadState(pinned=pinned)
    token = _state.set(state)
    try:
        yield state
    finally:
        _state.reset(token)


def replica_may_serve() -> bool:
    """Whether a read made now may go to the replica (see the module)."""
    state = _state.get()
    if state is None or state.pinned or state.wrote:
        return False
    return not connections[PRIMARY].in_atomic_block


class PrimaryReplicaRouter:
    """Reads to the replica when nobody could miss a write (see the module); writes and
    migrations to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if model._meta.app_label in PRIMARY_ONLY or model._meta.label in PRIMARY_ONLY:
            return PRIMARY
        return REPLICA if replica_may_serve() else PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        state = _state.get()
        if state is not None:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        return db == PRIMARY


def _streamed_in(state: ReadState, chunks: Iterable[Any]) -> Iterator[Any]:
    """``chunks``, each produced under ``state``: a streamed body (an export) is read after
    the middleware has returned. The state is set and reset around each chunk, so it never
    leaks into the server's code between chunks, whatever context that runs in."""
    iterator = iter(chunks)
    while True:
        token = _state.set(state)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _state.reset(token)
        yield chunk


class ReplicaReadsMiddleware:
    """Serves each request inside ``replica_reads``: pinned to the primary for a write
    method or a browser that wrote a moment ago; a write method that wrote sets that cookie
    (a GET that writes in passing, a session, does not pin the pages after it). A streamed
    body is read under the same state as the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        pinned = request.method not in SAFE_METHODS or PIN_COOKIE in request.COOKIES
        with replica_reads(pinned=pinned) as state:
            response = self.get_response(request)
        if isinstance(response, StreamingHttpResponse) and not response.is_async:
            chunks = response.streaming_content
            if isinstance(chunks, Iterable):
                response.streaming_content = _streamed_in(state, chunks)
        if state.wrote and request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
