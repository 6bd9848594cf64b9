"""``Idempotency-Key`` on POST: a retry with the same key and body gets the first answer
(status and body) again and the work is not done twice; the same key with another body is
refused. The record is written in the same transaction as the work, first, so a concurrent
retry waits on the unique (owner, key) index and then replays the committed answer.

An operation opts in with ``@idempotent`` (below the router's decorator); its handler just
returns its answer."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import typing
from collections.abc import Callable
from typing import Annotated, Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Status
from pydantic import BaseModel

from clienteling.api.auth import actor_of
from clienteling.api.models import IdempotencyRecord
from clienteling.api.schemas import IDEMPOTENCY_KEY_PATTERN
from clienteling.core.errors import DomainError, Invalid
from clienteling.organization.access import scope_for_code
from clienteling.organization.models import Worker

HEADER = "Idempotency-Key"
PENDING = 0
# The keyword argument that carries the header to the decorated operation.
KEY_ARGUMENT = "idempotency_key"

IdempotencyKey = Annotated[
    str | None,
    Header(
        None,
        alias=HEADER,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Optional. A retry with the same key and body returns the first response "
        "without doing the work again; the same key with another body is a 422. "
        "1 to 200 visible ASCII characters, unique per caller (e.g. a UUID).",
        example="3f1c9a0e-6d7b-4f6e-9a51-0b8f0c2d7e11",
    ),
]


def _request_hash(request: HttpRequest, payload: Any) -> str:
    canonical = json.dumps(
        {"method": request.method, "path": request.path, "body": payload},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> tuple[int, Any]:
    if record.request_hash != digest:
        raise Invalid(
            _("This Idempotency-Key was already used with a different request."),
            field=HEADER,
            rule="reused_with_different_request",
        )
    return record.status, record.response_body


def _json_ready(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _outcome(work: Callable[[], Any], success: int) -> tuple[int, Any]:
    try:
        return success, _json_ready(work())
    except DomainError as error:
        # The service's own transaction (a savepoint here) has already been rolled back.
        return error.status, error.as_dict()


def _run_once(
    request: HttpRequest,
    *,
    actor: Worker,
    key: str | None,
    payload: Any,
    work: Callable[[], Any],
    success: int,
) -> tuple[int, Any]:
    """Do ``work`` once per (actor, key) and keep its answer; without a key, just do it."""
    if key is None:
        return _outcome(work, success)
    digest = _request_hash(request, payload)
    existing = IdempotencyRecord.objects.filter(owner=actor, key=key).first()
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                owner=actor, key=key, request_hash=digest, status=PENDING, response_body={}
            )
            status, body = _outcome(work, success)
            record.status, record.response_body = status, body
            record.save(update_fields=["status", "response_body"])
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as it did.
        existing = IdempotencyRecord.objects.filter(owner=actor, key=key).first()
        if existing is None:
            raise
        return _replay(existing, digest)
    return status, body


def _caller(request: HttpRequest, kwargs: dict[str, Any]) -> Worker:
    """The worker whose keys these are. In a legal entity's path (``le``), only a worker of
    that legal entity: anyone else is not found, before any answer is replayed or kept."""
    if "le" in kwargs:
        return scope_for_code(actor_of(request), kwargs["le"]).actor
    return actor_of(request)


def _with_key_parameter(handler: Callable[..., Any]) -> inspect.Signature:
    """The handler's signature with its annotations resolved (ninja reads them in the
    wrapper's module) and the Idempotency-Key header added, so the OpenAPI document shows it."""
    signature = inspect.signature(handler)
    if "payload" not in signature.parameters or KEY_ARGUMENT in signature.parameters:
        raise TypeError(
            f"@idempotent needs a 'payload' parameter and no '{KEY_ARGUMENT}' one: "
            f"{handler.__qualname__}"
        )
    hints = typing.get_type_hints(handler, include_extras=True)
    parameters = [
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()
    ]
    parameters.append(
        inspect.Parameter(
            KEY_ARGUMENT, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=IdempotencyKey
        )
    )
    return signature.replace(parameters=parameters, return_annotation=Status[Any])


OperationView = Callable[..., Status[Any]]


@typing.overload
def idempotent(handler: Callable[..., Any], *, status: int = 200) -> OperationView: ...
@typing.overload
def idempotent(
    handler: None = None, *, status: int = 200
) -> Callable[[Callable[..., Any]], OperationView]: ...
def idempotent(
    handler: Callable[..., Any] | None = None, *, status: int = 200
) -> OperationView | Callable[[Callable[..., Any]], OperationView]:
    """Make a POST operation idempotent under the ``Idempotency-Key`` header.

    The handler takes a ``payload`` and returns its answer (a schema or JSON-ready data),
    answered with ``status``; a domain error is answered in the error shape. With a key, the
    first answer (errors included) is kept for the caller and the key, and a retry with the
    same payload gets it again without the handler running; another payload is a 422."""

    def decorate(handler: Callable[..., Any]) -> OperationView:
        signature = _with_key_parameter(handler)

        @functools.wraps(handler)
        def operation(request: HttpRequest, **kwargs: Any) -> Status[Any]:
            key = kwargs.pop(KEY_ARGUMENT, None)
            code, body = _run_once(
                request,
                actor=_caller(request, kwargs),
                key=key,
                payload=_json_ready(kwargs["payload"]),
                work=lambda: handler(request, **kwargs),
                success=status,
            )
            if code == 200:
                # Answers kept before this decorator stored 200 for every success.
                code = status
            return Status(code, body)

        operation.__signature__ = signature  # type: ignore[attr-defined]
        return operation

    return decorate(handler) if handler is not None else decorate
