from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest


def secret_warnings(request: HttpRequest) -> dict[str, Any]:
    """Secrets expiring within 30 days, for the back office's banner (R-SEC-2)."""
    user = getattr(request, "user", None)
    if not request.path.startswith("/admin/") or user is None or not user.is_staff:
        return {}
    from clienteling.insights.secrets import secrets_expiring

    try:
        return {"secret_warnings": secrets_expiring()}
    except DatabaseError:
        return {}
