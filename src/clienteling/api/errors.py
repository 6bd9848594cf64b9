"""Every error of the API in one shape: ``{"error": {"code", "message", "field", "details"}}``.

Domain errors keep their code and status; ninja's own errors (unauthenticated, bad JSON,
wrong types, missing fields, unknown routes) are put into the same shape.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from clienteling.core.errors import DomainError

STATUS_CODES = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "invalid",
}


def error_body(
    code: str, message: str, *, field: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, "details": details or {}}}


def _problem(error: dict[str, Any]) -> str:
    """A pydantic error as a sentence in the caller's language."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("json_invalid", "json_type"):
        return _("The request body is not valid JSON.")
    if kind == "string_pattern_mismatch":
        return _("The value has characters or a form that is not allowed.")
    if kind in ("string_too_long", "too_long"):
        return _("The value is too long (at most %(max)s).") % {"max": ctx.get("max_length", "?")}
    if kind in ("string_too_short", "too_short"):
        return _("The value is too short (at least %(min)s).") % {"min": ctx.get("min_length", "?")}
    if kind in ("greater_than_equal", "greater_than"):
        return _("The value is too small.")
    if kind in ("less_than_equal", "less_than"):
        return _("The value is too large.")
    if kind == "extra_forbidden":
        return _("This field is not expected.")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return _("The value has the wrong type.")
    return _("The value is not valid.")


def _field(loc: Any) -> str | None:
    """``("body", "payload", "customers", 0)`` → ``customers.0``; ``("query", "limit")`` → ``limit``."""
    parts = [str(p) for p in (loc or ())]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        source, parts = parts[0], parts[1:]
        if source == "body" and parts and parts[0] == "payload":
            parts = parts[1:]
    return ".".join(parts) or ("body" if loc and str(loc[0]) == "body" else None)


def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "field": _field(e.get("loc")),
            "rule": str(e.get("type", "invalid")),
            "message": _problem(e),
        }
        for e in exc.errors
    ]
    first = errors[0] if errors else {"field": None, "rule": "invalid", "message": ""}
    message = (
        _("%(field)s: %(problem)s") % {"field": first["field"], "problem": first["message"]}
        if first["field"]
        else first["message"] or _("The request is not valid.")
    )
    body = error_body(
        "invalid", message, field=first["field"], details={"rule": first["rule"], "errors": errors}
    )
    return JsonResponse(body, status=422)


def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return JsonResponse(exc.as_dict(), status=exc.status)


def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    body = error_body(
        "unauthenticated",
        _("Authenticate with a bearer token (Authorization: Bearer …) or a logged-in session."),
    )
    response = JsonResponse(body, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="clienteling"'
    return response


def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # The only 400 ninja raises: a body that is not JSON.
        body = error_body(
            "invalid",
            _("The request body is not valid JSON."),
            field="body",
            details={"rule": "json"},
        )
        return JsonResponse(body, status=422)
    status = exc.status_code if exc.status_code in STATUS_CODES else 422
    return JsonResponse(error_body(STATUS_CODES[status], str(exc.message)), status=status)


def not_found(request: HttpRequest, exc: Exception | None = None) -> HttpResponse:
    body = error_body("not_found", _("There is no such address in the API."), field="path")
    return JsonResponse(body, status=404)


@csrf_exempt
def unknown_route(request: HttpRequest) -> HttpResponse:
    """Any address under /api/v1/ that is not an operation."""
    return not_found(request)


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``; DomainError covers every subclass."""
    api.add_exception_handler(DomainError, domain_error)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, unauthenticated)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, not_found)  # type: ignore[arg-type]
