"""Input every request brings is checked once, here, before any face sees it (R-ERR-1): a
value with a control character is refused naming its field, a body over the size limit is
refused, and neither reaches a service or the database. Failures no face answered get a page
with their status too, never a bare 500: the database out of reach is a 503 to retry."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from clienteling.core.errors import DomainError, Invalid
from clienteling.core.text import is_safe_text, unsafe_fields

logger = logging.getLogger(__name__)
API_PREFIX = "/api/"
JSON_TYPES = ("application/json",)
# Seconds a client is asked to wait before retrying while the database is out of reach.
RETRY_AFTER = 5


class TooLarge(DomainError):
    code = "too_large"
    status = 413


class DatabaseUnavailable(DomainError):
    code = "unavailable"
    status = 503


class InputGuardMiddleware:
    """Refuses unsafe text in the path, the query, a form or a JSON body (422, naming the
    field) and bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (413)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            self.check(request)
        except DomainError as error:
            return self.refuse(request, error)
        return self.get_response(request)

    def check(self, request: HttpRequest) -> None:
        if not is_safe_text(request.path):
            raise _unsafe("path")
        self._check_items(request.GET.lists())
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        try:
            if request.content_type in JSON_TYPES:
                self._check_json(request.body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                self._check_items(request.POST.lists())
        except RequestDataTooBig:
            raise TooLarge(
                _("The request is too large."), field="body", details={"rule": "max_size"}
            ) from None
        except TooManyFieldsSent:
            raise TooLarge(
                _("The request has too many fields."), field="body", details={"rule": "max_fields"}
            ) from None

    @staticmethod
    def _check_items(items: Any) -> None:
        for key, values in items:
            if not is_safe_text(key):
                raise _unsafe("query")
            for value in values:
                if isinstance(value, str) and not is_safe_text(value):
                    raise _unsafe(key)

    @staticmethod
    def _check_json(body: bytes) -> None:
        try:
            document = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            return  # not JSON: the API answers that itself, naming the body
        field = next(unsafe_fields(document), None)
        if field is not None:
            raise _unsafe(field)

    @staticmethod
    def refuse(request: HttpRequest, error: DomainError) -> HttpResponse:
        return _problem(request, error)


class FailureMiddleware:
    """Answers what a view raised and nobody handled: a domain error with its own status, the
    database out of reach with 503 and Retry-After. Anything else stays a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return failure_response(request, exception)


def failure_response(request: HttpRequest, exception: BaseException) -> HttpResponse | None:
    if isinstance(exception, (OperationalError, InterfaceError)):
        # Logged in full for the operator; the user gets a page that reads nothing from it.
        logger.error("database unavailable: %s", exception, exc_info=exception)
        error = DatabaseUnavailable(
            _("The service cannot reach its database just now. Try again in a few seconds.")
        )
        if request.path.startswith(API_PREFIX):
            response: HttpResponse = JsonResponse(error.as_dict(), status=error.status)
        else:
            response = render(request, "storeapp/unavailable.html", {"error": error}, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if isinstance(exception, DomainError):
        return _problem(request, exception)
    return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: also reached by failures in middleware (a session read with the database
    down), which process_exception never sees."""
    exception = sys.exc_info()[1]
    response = failure_response(request, exception) if exception else None
    return response or defaults.server_error(request)


def _problem(request: HttpRequest, error: DomainError) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error.as_dict(), status=error.status)
    return render(
        request, "storeapp/problem.html", {"error": error, "ctx": None}, status=error.status
    )


def _unsafe(field: str) -> Invalid:
    return Invalid(
        _("%(field)s holds a control character, which is not allowed.") % {"field": field},
        field=field,
        rule="control_character",
    )
