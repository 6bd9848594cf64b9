"""Typed domain errors. Faces map them to HTTP statuses and to messages in the user's language."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.functional import Promise


class DomainError(Exception):
    """Base of every error a service or selector raises on purpose."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(
        self,
        message: str | Promise,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        """The error shape of CONTRACT.md, rendered in the active language."""
        return {
            "error": {
                "code": self.code,
                "message": str(self.message),
                "field": self.field,
                "details": self.details,
            }
        }


class NotFound(DomainError):
    """The record does not exist, or the caller may not see it (never tell which)."""

    code = "not_found"
    status = 404


class Forbidden(DomainError):
    """The caller is not granted the operation; ``details['operation']`` names it."""

    code = "forbidden"
    status = 403

    def __init__(self, message: str | Promise, *, operation: str, **kwargs: Any) -> None:
        details = {"operation": operation, **kwargs.pop("details", {})}
        super().__init__(message, details=details, **kwargs)
        self.operation = operation


class FeatureDisabled(DomainError):
    """The clienteling switch of the legal entity is off."""

    code = "feature_disabled"
    status = 403


class Conflict(DomainError):
    """The write conflicts with existing state; ``details`` says with what."""

    code = "conflict"
    status = 409


class Invalid(DomainError):
    """Bad input: names the field and the rule it breaks."""

    code = "invalid"
    status = 422

    def __init__(self, message: str | Promise, *, field: str, rule: str, **kwargs: Any) -> None:
        details = {"rule": rule, **kwargs.pop("details", {})}
        super().__init__(message, field=field, details=details, **kwargs)
        self.rule = rule
