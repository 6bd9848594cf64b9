"""Template helpers of the store app: URLs that keep the current filters, localised values."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.http import QueryDict
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clienteling.clientbooks.selectors import anniversary_in_days
from clienteling.storeapp.templatetags.money import money_text
from clienteling.timeline.services import NOTE_EDIT_WINDOW

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def display_value(value: Any, unit: str = "") -> str:
    """A property value in the active language's format; empty stays empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return str(date_filter(value, "SHORT_DATETIME_FORMAT"))
    if isinstance(value, dt.date):
        return _day_text(value, translation.get_language() or "en")
    if isinstance(value, Decimal | float):
        text = number_format(
            Decimal(value).normalize() if isinstance(value, Decimal) else value, use_l10n=True
        )
    else:
        # An allowed value (attributes.models.ChoiceOption) reads as its label (R-UX-2).
        text = str(getattr(value, "label", None) or value)
    return f"{text} {unit}".strip() if unit else text


@functools.lru_cache(maxsize=20_000)
def _day_text(day: dt.date, language: str) -> str:
    """A day in the language's format. Kept, as a page of cards shows some 100 birthdays and
    Django's date formatting costs about 25 µs each; the answer depends on nothing else."""
    with translation.override(language):
        return str(date_filter(day, "DATE_FORMAT"))


@register.filter
def display_property(prop: Any) -> str:
    """A card property in the active language: a probability as a percentage (0.19 → 19 %),
    an amount with its currency, anything else as display_value shows it."""
    if prop.data_type == "percent" and isinstance(prop.value, int | float | Decimal):
        if isinstance(prop.value, bool):
            return display_value(prop.value)
        percent = (Decimal(str(prop.value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return f"{number_format(percent, use_l10n=True)} %"
    if prop.data_type == "money":
        return money_text(prop.value, prop.unit)
    # An allowed value reads as its label in the reader's language (R-UX-2).
    label = getattr(prop, "value_label", None)
    return display_value(label if label else prop.value, prop.unit)


@register.filter
def in_list(value: str, items: list[str]) -> bool:
    return value in items


@register.filter
def machine_value(value: Any) -> str:
    """The value in a language-independent form for scripts and tests: ISO dates, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


@register.filter
def editable_note(note: Any) -> bool:
    """Whether the note is still within the day its author may change it in."""
    return bool(timezone.now() - note.created_at <= NOTE_EDIT_WINDOW)


@register.filter
def error_for(error: Any, field_name: str) -> str:
    """The message of a domain error when it is about ``field_name``."""
    if error is not None and getattr(error, "field", None) == field_name:
        return str(error.message)
    return ""


@register.filter
def consents(customer: Any) -> list[str]:
    """The channels the customer agreed to be contacted by, in the active language."""
    channels = [
        (customer.consent_email, _("email")),
        (customer.consent_phone, _("phone")),
        (customer.consent_sms, _("text message")),
    ]
    return [label for agreed, label in channels if agreed]


@register.filter
def language_name(code: str) -> str:
    """``it`` → "Italian" in the active language; a code Django does not know stays as it is."""
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code


@register.filter
def initials(name: str) -> str:
    """The initials of a name for its avatar: "Giulia Conti" → "GC"; at most two letters."""
    words = [w for w in str(name or "").replace("-", " ").split() if w[:1].isalpha()]
    if not words:
        return "·"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


@register.filter
def anniversary_days(prop: Any, today: dt.date) -> int | None:
    """Days to the next anniversary of a card's yearly date (a birthday), or None when the
    property is not such a date (a purchase fact, a measure, an empty value)."""
    value = getattr(prop, "value", prop)
    if getattr(prop, "kind", "attribute") != "attribute" or not isinstance(value, dt.date):
        return None
    if isinstance(value, dt.datetime) or not isinstance(today, dt.date):
        return None
    return anniversary_in_days(value, today)


@register.simple_tag
def date_cue(days: int | None, within: int) -> str:
    """The cue of a date coming round within ``within`` days: today, tomorrow, in N days."""
    if days is None or days > within:
        return ""
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    return ngettext("in %(days)d day", "in %(days)d days", days) % {"days": days}
