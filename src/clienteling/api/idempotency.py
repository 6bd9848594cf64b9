"""``Idempotency-Key`` on POST: a retry with the same key and body gets the first answer
(status and body) again and the work is not done twice; the same key with another body is
refused. The record is written in the same transaction as the work, first, so a concurrent
retry waits on the unique (owner, key) index and then replays the committed answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from clienteling.api.models import IdempotencyRecord
from clienteling.core.errors import DomainError, Invalid
from clienteling.organization.models import Worker

HEADER = "Idempotency-Key"
PENDING = 0


def request_hash(request: HttpRequest, payload: Any) -> str:
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


def _outcome(work: Callable[[], Any]) -> tuple[int, Any]:
    try:
        return 200, work()
    except DomainError as error:
        # The service's own transaction (a savepoint here) has already been rolled back.
        return error.status, error.as_dict()


def run_idempotent(
    request: HttpRequest,
    *,
    actor: Worker,
    key: str | None,
    payload: Any,
    work: Callable[[], Any],
) -> tuple[int, Any]:
    """Do ``work`` (which returns a JSON-ready body) once per (actor, key); without a key, just do it."""
    if key is None:
        return _outcome(work)
    digest = request_hash(request, payload)
    existing = IdempotencyRecord.objects.filter(owner=actor, key=key).first()
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                owner=actor, key=key, request_hash=digest, status=PENDING, response_body={}
            )
            status, body = _outcome(work)
            record.status, record.response_body = status, body
            record.save(update_fields=["status", "response_body"])
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as it did.
        existing = IdempotencyRecord.objects.filter(owner=actor, key=key).first()
        if existing is None:
            raise
        return _replay(existing, digest)
    return status, body
