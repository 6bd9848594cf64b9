"""``manage.py check`` warns about secrets that expire within 30 days (R-SEC-2)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning, register
from django.db import DatabaseError
from django.utils import timezone


@register()
def secrets_expiring_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from clienteling.insights.secrets import secrets_expiring

    try:
        expiring = secrets_expiring()
    except DatabaseError:
        return []  # not migrated yet: nothing recorded to warn about
    messages: list[CheckMessage] = []
    for status in expiring:
        assert status.expires_on is not None
        days = (status.expires_on - timezone.now()).days
        messages.append(
            Warning(
                f"The secret {status.reference} expires on "
                f"{status.expires_on:%Y-%m-%d} ({'expired' if days < 0 else f'in {days} days'}).",
                hint="Renew it in the vault, then use Validate on Secret references in the back office.",
                obj=status.reference,
                id="clienteling.W002",
            )
        )
    return messages
