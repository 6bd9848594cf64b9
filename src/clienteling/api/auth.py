"""Who calls the API: a bearer token, or the browser session (with CSRF for unsafe methods)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from clienteling.api.services import api_token_authenticate
from clienteling.core.errors import Forbidden
from clienteling.organization.access import worker_for_user
from clienteling.organization.models import Worker

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``: a token made by create_api_token or the back office."""

    def authenticate(self, request: HttpRequest, token: str) -> Worker | None:
        return api_token_authenticate(token=token.strip())


class BrowserSession(APIKeyCookie):
    """The store app's login session. Unsafe methods need the CSRF token (X-CSRFToken header)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        # The CSRF check runs below, only once we know the session is a logged-in one, so an
        # anonymous call is answered 401 rather than a CSRF failure.
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise Forbidden(
                _(
                    "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."
                ),
                operation="csrf",
            )
        return worker_for_user(user)


def actor_of(request: HttpRequest) -> Worker:
    """The authenticated worker (set by the API's authentication)."""
    actor = getattr(request, "auth", None)
    assert isinstance(actor, Worker)
    return actor
