"""Bearer tokens of the JSON API and the remembered answers of idempotent requests."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clienteling.organization.models import Worker


class ApiToken(models.Model):
    """A bearer token of a worker (an integration account is a worker created for a system).

    Only the SHA-256 hash of the token is stored; the token itself is shown once, when made.
    A token stops working when it expires or is revoked.
    """

    owner = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(
        _("key prefix"),
        max_length=8,
        editable=False,
        help_text=_("The first characters of the token, to recognise it."),
    )
    token_hash = models.CharField(
        _("token hash (SHA-256)"), max_length=64, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.owner.username})"

    def is_active(self, now: dt.datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > moment)


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``: a retry with the same key
    and body gets it again instead of doing the work twice. Unique per owner and key."""

    owner = models.ForeignKey(
        Worker,
        on_delete=models.CASCADE,
        related_name="idempotency_records",
        verbose_name=_("owner"),
    )
    key = models.CharField(_("idempotency key"), max_length=200)
    request_hash = models.CharField(_("request hash (SHA-256)"), max_length=64)
    status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "key"], name="idempotency_key_unique_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
