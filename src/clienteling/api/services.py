"""Bearer tokens: made, shown once, stored as a hash; expired or revoked tokens stop working."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clienteling.api.models import ApiToken
from clienteling.core.errors import Invalid
from clienteling.organization.models import Worker

TOKEN_PREFIX = "clt_"
PREFIX_LENGTH = 8
# Writing last_used_at on every request would turn every read into a write; once a minute is enough.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new token: the record, and the token itself, which is never stored and shown once."""

    record: ApiToken
    token: str


@transaction.atomic
def api_token_create(
    *, owner: Worker, name: str = "", expires_at: dt.datetime | None = None
) -> IssuedToken:
    """Make a bearer token for ``owner``; only its SHA-256 hash and first characters are kept."""
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid(_("The expiry must be in the future."), field="expires_at", rule="future")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        owner=owner,
        name=name[:100],
        prefix=token[:PREFIX_LENGTH],
        token_hash=token_hash(token),
        expires_at=expires_at,
    )
    return IssuedToken(record, token)


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a token at once; a revoked token is never valid again."""
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )


def api_token_expire(*, token: ApiToken) -> None:
    """Let a token expire now (it stays listed, as expired)."""
    now = timezone.now()
    if token.expires_at is None or token.expires_at > now:
        ApiToken.objects.filter(pk=token.pk).update(expires_at=now)


def api_token_expiry_validate(*, token: ApiToken, expires_at: dt.datetime | None) -> None:
    """An expiry is never moved later nor removed once set."""
    current = ApiToken.objects.filter(pk=token.pk).values_list("expires_at", flat=True).first()
    if current is not None and (expires_at is None or expires_at > current):
        raise Invalid(
            _("A token's expiry can only be brought forward; make a new token instead."),
            field="expires_at",
            rule="one_way",
        )


@transaction.atomic
def api_token_update(*, token: ApiToken, name: str, expires_at: dt.datetime | None) -> ApiToken:
    """Rename a token or bring its expiry forward. Expiry is one way, like revocation: an
    expiry is never moved later nor removed, so an expired token never works again."""
    stored = ApiToken.objects.select_for_update().get(pk=token.pk)
    api_token_expiry_validate(token=stored, expires_at=expires_at)
    stored.name, stored.expires_at = name[:100], expires_at
    stored.save(update_fields=["name", "expires_at"])
    return stored


def api_token_authenticate(*, token: str) -> Worker | None:
    """The worker a valid token belongs to; None for an unknown, expired or revoked token, or
    an inactive login. Records when the token was last used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    record = (
        ApiToken.objects.select_related("owner__user").filter(token_hash=token_hash(token)).first()
    )
    now = timezone.now()
    if record is None or not record.is_active(now) or not record.owner.user.is_active:
        return None
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.owner
