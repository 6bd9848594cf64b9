"""Reads of the attribute catalogue."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import translation

from clienteling.attributes.models import AttributeChoice

# The languages whose labels HQ gives for allowed values; English reads the value itself.
LABEL_COLUMNS = {"it": "label_it", "lt": "label_lt"}


def choice_labels(
    *, attribute_ids: Iterable[int], language: str | None = None
) -> dict[tuple[int, str], str]:
    """Per (attribute id, stored value), the allowed value's label in ``language`` (default:
    the active one) where HQ gave one (R-UX-2): one query, none in English."""
    code = (language or translation.get_language() or "en")[:2]
    column = LABEL_COLUMNS.get(code)
    ids = list(attribute_ids)
    if column is None or not ids:
        return {}
    rows = (
        AttributeChoice.objects.filter(attribute_id__in=ids)
        .exclude(**{column: ""})
        .values_list("attribute_id", "value", column)
    )
    return {(attribute_id, value): label for attribute_id, value, label in rows}
