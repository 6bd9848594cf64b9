"""Cards as the store app shows them: every value already in the reader's language and
format, so that the template only places strings. A page of 50 cards has some 150 values;
formatting them through template filters and tags cost more than reading them from the
database (docs/performance.md, "Pages at the floor"). Dicts rather than objects: the
template engine tries a key lookup first, and an object answers it with an exception."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Sequence
from html import escape
from typing import TypedDict
from urllib.parse import quote

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from clienteling.clientbooks.models import Membership
from clienteling.clientbooks.selectors import Card, CardProperty
from clienteling.customers.models import Customer
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


def _property_html(prop: PropertyView) -> str:
    classes = f"property {escape(prop['kind'])}" + ("" if prop["available"] else " unavailable")
    cue = ""
    if prop["cue"]:
        today = " today" if prop["days"] == 0 else ""
        cue = f' <span class="cue{today}" data-days="{prop["days"]}">{escape(prop["cue"])}</span>'
    stale = f" <small>{escape(prop['stale'])}</small>" if prop["stale"] else ""
    return (
        f'<div class="{classes}" data-code="{escape(prop["code"])}"><dt>{escape(prop["label"])}'
        f'</dt><dd data-value="{escape(prop["machine"])}">{escape(prop["text"])}{cue}{stale}'
        "</dd></div>"
    )


def cards_html(cards: Sequence[CardView], *, selectable: bool) -> SafeString:
    """The cards of a page as HTML, every value escaped. Written here rather than in a
    template: a page places some 1,200 values, and the template engine's lookup and escaping
    of each cost more than the page's SQL (docs/performance.md, "Pages over HTTP")."""
    out: list[str] = []
    for card in cards:
        account = escape(card["account"])
        contact = "".join(
            f'<a href="{scheme}:{escape(value)}">{escape(value)}</a>'
            for scheme, value in (("mailto", card["email"]), ("tel", card["phone"]))
            if value
        )
        select = (
            '<label class="select"><input type="checkbox" form="reassign-form" '
            f'name="customers" value="{account}"><span class="visually-hidden">'
            f"{escape(card['select_label'])}</span></label>"
            if selectable
            else ""
        )
        foot = ""
        if card["last_purchase"] or card["owner"]:
            last = (
                f'<span class="last-purchase" data-value="{escape(card["last_purchase_machine"])}">'
                f"{escape(card['last_purchase'])}</span>"
                if card["last_purchase"]
                else ""
            )
            owner = f'<span class="owner">{escape(card["owner"])}</span>' if card["owner"] else ""
            foot = f'<p class="card-foot">{last}{owner}</p>'
        out.append(
            f'<li class="card" data-account="{account}"><div class="card-head">'
            f'<span class="avatar" aria-hidden="true">{escape(card["initials"])}</span>'
            f'<div class="who"><h3><a href="{escape(card["url"])}">{escape(card["name"])}</a></h3>'
            f'<p class="contact">{contact}</p></div>{select}</div>'
            f'<dl class="properties">{"".join(map(_property_html, card["properties"]))}</dl>'
            f"{foot}</li>\n"
        )
    return mark_safe("".join(out))  # every value above is escaped


def found_rows_html(
    rows: Sequence[tuple[Customer, Sequence[Membership]]],
    *,
    me: int,
    addable: Container[int],
    csrf_token: str,
    next_path: str,
) -> SafeString:
    """The rows of a customer search as HTML, every value escaped: written here for the
    reason the cards are (the template took 21 ms of a 70 ms search under a profiler)."""
    url_of = customer_urls()
    token = escape(csrf_token)
    back = escape(next_path)
    add = escape(_("Add to my book"))
    out: list[str] = []
    for customer, memberships in rows:
        account = escape(customer.account)
        url = escape(url_of(customer.account))
        contact = " · ".join(escape(v) for v in (customer.email, customer.phone) if v)
        books = ", ".join(
            '<span class="in-book mine">' + escape(_("In your book")) + "</span>"
            if m.book.owner_id == me
            else '<span class="in-book">'
            + escape(_("In the book of %(owner)s") % {"owner": m.book.owner})
            + "</span>"
            for m in memberships
        ) or ('<span class="in-book none">' + escape(_("In no client book")) + "</span>")
        action = (
            f'<form method="post" action="{url}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            f'<input type="hidden" name="next" value="{back}">'
            f'<button type="submit" name="action" value="add">{add}</button></form>'
            if customer.id in addable
            else ""
        )
        out.append(
            f'<tr data-account="{account}">'
            f'<td class="name"><a href="{url}">{escape(customer.display_name)}</a></td>'
            f'<td class="account">{account}</td><td class="contact">{contact}</td>'
            f'<td class="book">{books}</td><td class="action">{action}</td></tr>\n'
        )
    return mark_safe("".join(out))  # every value above is escaped
