"""Outreach messages (R-OUT-1): placeholders filled in, the signed unsubscribe link, the
e-mail with its List-Unsubscribe headers (RFC 2369, RFC 8058), and the text-message backend
interface."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from clienteling.core.errors import Invalid

PLACEHOLDERS = ("first_name", "last_name", "associate", "store")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
UNSUBSCRIBE_SALT = "clienteling.engagement.unsubscribe"


def placeholders_check(text: str, field: str) -> None:
    """Invalid, naming the field, when ``text`` holds a placeholder other than PLACEHOLDERS."""
    for name in PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS:
            raise Invalid(
                _("Unknown placeholder {%(name)s}; use %(allowed)s.")
                % {"name": name, "allowed": ", ".join("{" + p + "}" for p in PLACEHOLDERS)},
                field=field,
                rule="placeholder",
            )


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known placeholder replaced; nothing else is interpreted (no
    str.format, whose attribute lookups a template writer could abuse)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def unsubscribe_token(message_id: int) -> str:
    return signing.dumps({"m": message_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_message_id(token: str) -> int | None:
    """The outreach message a link was made for, or None for a link that was not signed here."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    value = data.get("m") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def unsubscribe_url(message_id: int) -> str:
    path = reverse("storeapp:unsubscribe", kwargs={"token": unsubscribe_token(message_id)})
    return f"{settings.CLIENTELING_BASE_URL}{path}"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def email_build(*, message_id: int, to: str, rendered: Rendered) -> EmailMessage:
    """The e-mail: the body, then the unsubscribe link; one-click unsubscribe headers."""
    link = unsubscribe_url(message_id)
    footer = _("To stop receiving these e-mails: %(link)s") % {"link": link}
    # A subject is one line: a template cannot add headers through it.
    subject = " ".join(rendered.subject.split())
    return EmailMessage(
        subject=subject,
        body=f"{rendered.body.rstrip()}\n\n-- \n{footer}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


class TextBackend(Protocol):
    """Sends a text message; raises on failure. A provider is plugged in by setting
    OUTREACH_SMS_BACKEND to a class with this method."""

    def send(self, *, to: str, text: str) -> None: ...


class NoTextBackend:
    """No provider: text messages are refused, so none is counted as sent."""

    def send(self, *, to: str, text: str) -> None:
        raise RuntimeError("no text message provider is configured (OUTREACH_SMS_BACKEND)")


class MemoryTextBackend:
    """Keeps what it was asked to send, for tests and demos."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        MemoryTextBackend.outbox.append((to, text))


def text_backend() -> TextBackend:
    backend: TextBackend = import_string(settings.OUTREACH_SMS_BACKEND)()
    return backend
