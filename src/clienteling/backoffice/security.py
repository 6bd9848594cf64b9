"""Locked-out logins (R-SEC-2): who failed to log in, from where, and unlocking them."""

from __future__ import annotations

from axes.models import AccessAttempt  # type: ignore[import-untyped]  # ships no types
from django.contrib import admin

from clienteling.backoffice.scoping import ScopedAdmin


@admin.register(AccessAttempt)
class LockedLoginAdmin(ScopedAdmin):
    """Failed logins per username and address. Deleting a row unlocks it; a lock concerns
    the whole installation (an address may be shared), so a superuser unlocks."""

    shared = True
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time")
    search_fields = ("username", "ip_address")
    readonly_fields = (
        "username",
        "ip_address",
        "user_agent",
        "failures_since_start",
        "attempt_time",
    )
    fields = readonly_fields
    ordering = ("-attempt_time",)
