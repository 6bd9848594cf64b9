"""What every router needs: the legal entity from the path, the documented error answers."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Header, Path

from clienteling.api.auth import actor_of
from clienteling.api.schemas import CODE_PATTERN, IDEMPOTENCY_KEY_PATTERN, ErrorOut
from clienteling.organization.access import Scope, scope_for_code

LegalEntityCode = Annotated[
    str,
    Path(
        pattern=CODE_PATTERN,
        max_length=8,
        description="The legal entity's code.",
        example="ITJW",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        None,
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Optional. A retry with the same key and body returns the first response "
        "without doing the work again; the same key with another body is a 422. "
        "1 to 200 visible ASCII characters, unique per caller (e.g. a UUID).",
        example="3f1c9a0e-6d7b-4f6e-9a51-0b8f0c2d7e11",
    ),
]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 409: ErrorOut}


def scope_from(request: HttpRequest, le: str) -> Scope:
    """The caller acting in the legal entity ``le``, if they work for it (else not found)."""
    return scope_for_code(actor_of(request), le)
