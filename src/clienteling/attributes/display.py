"""Values as the reader's language writes them (R-UX-2): dates and times in the language's
formats, numbers with its decimal mark, yes/no in words, allowed values by their label.

For people only: exports, imports and the API's ``value`` keep the stored value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import formats, timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from clienteling.attributes.models import Attribute


def value_text(value: object, *, attribute: Attribute | None = None, unit: str = "") -> str:
    """``value`` in the active language; None is empty. With ``attribute``, an allowed value
    reads as its label, and the attribute's unit follows a number."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.datetime):
        shown = value
        if timezone.is_aware(shown):
            shown = timezone.localtime(shown)
        return formats.date_format(shown, "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    if attribute is not None:
        unit = unit or attribute.unit
    if isinstance(value, Decimal):
        text = formats.number_format(value.normalize(), use_l10n=True)
    elif isinstance(value, int | float):
        text = formats.number_format(value, use_l10n=True)
    else:
        text = attribute.value_label(value) if attribute is not None else str(value)
    return f"{text} {unit}".strip() if unit else text
