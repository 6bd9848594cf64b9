"""Cards as the store app shows them: every value already in the reader's language and
format, so that the template only places strings. A page of 50 cards has some 150 values;
formatting them through template filters and tags cost more than reading them from the
database (docs/performance.md, "Pages at the floor"). Dicts rather than objects: the
template engine tries a key lookup first, and an object answers it with an exception."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypedDict
from urllib.parse import quote

from django.urls import reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from clienteling.clientbooks.selectors import Card, CardProperty
from clienteling.storeapp.templatetags.storeapp import (
    anniversary_days,
    date_cue,
    display_property,
    display_value,
    initials,
    machine_value,
)

MARKER = "ACCOUNT"
URL_SAFE = "!$&'()*+,;=/~:@"  # django.urls.resolvers: RFC 3986 sub-delimiters and /~:@


class PropertyView(TypedDict):
    kind: str
    code: str
    label: str
    available: bool
    machine: str  # data-value: ISO dates, plain numbers
    text: str
    cue: str  # "today", "in 3 days" for a yearly date coming round
    days: int | None
    stale: str  # an unavailable measure's last known value


class CardView(TypedDict):
    account: str
    name: str
    initials: str
    url: str
    email: str
    phone: str
    select_label: str
    properties: list[PropertyView]
    last_purchase_machine: str
    last_purchase: str
    owner: str


def property_view(prop: CardProperty, today: dt.date, cue_days: int) -> PropertyView:
    if not prop.available:
        stale = ""
        if prop.as_of:
            stale = _("last known %(value)s, %(age)s ago") % {
                "value": display_property(prop) or "—",
                "age": timesince(prop.as_of),
            }
        return {
            "kind": prop.kind,
            "code": prop.code,
            "label": prop.label,
            "available": False,
            "machine": "",
            "text": _("unavailable"),
            "cue": "",
            "days": None,
            "stale": stale,
        }
    days = anniversary_days(prop, today)
    return {
        "kind": prop.kind,
        "code": prop.code,
        "label": prop.label,
        "available": True,
        "machine": machine_value(prop.value),
        "text": display_property(prop) or "—",
        "cue": date_cue(days, cue_days),
        "days": days,
        "stale": "",
    }


def customer_urls() -> Callable[[str], str]:
    """A customer's address by account, with one reverse() per page: addresses differ only
    by the account, quoted as reverse() quotes it."""
    prefix, suffix = reverse("storeapp:customer", args=[MARKER]).split(MARKER)
    return lambda account: f"{prefix}{quote(account, safe=URL_SAFE)}{suffix}"


def card_views(
    cards: Sequence[Card], *, today: dt.date, cue_days: int, store_view: bool
) -> list[CardView]:
    """The cards of a page, ready to place; ``store_view`` names each card's book owner."""
    customer_url = customer_urls()
    views: list[CardView] = []
    for card in cards:
        last = card.last_purchase
        views.append(
            {
                "account": card.account,
                "name": card.name,
                "initials": initials(card.name),
                "url": customer_url(card.account),
                "email": card.email,
                "phone": card.phone,
                "select_label": _("Select %(name)s") % {"name": card.name},
                "properties": [property_view(p, today, cue_days) for p in card.properties],
                "last_purchase_machine": machine_value(last) if last else "",
                "last_purchase": (
                    _("Last purchase %(day)s") % {"day": display_value(last)} if last else ""
                ),
                "owner": (
                    _("Book of %(owner)s") % {"owner": card.book.owner_name}
                    if store_view and card.book
                    else ""
                ),
            }
        )
    return views
