"""Writes of the organisation (SPEC §1)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from clienteling.core.errors import Invalid
from clienteling.organization.models import AddressBook, LegalEntity, Store


def worker_assignments_validate(
    *,
    legal_entities: Sequence[LegalEntity],
    stores: Sequence[Store],
    address_books: Sequence[AddressBook],
) -> None:
    """A worker's stores and address books belong to legal entities that employ them (R-ORG-3)."""
    employers = {le.pk for le in legal_entities}
    named: list[tuple[str, Sequence[Store] | Sequence[AddressBook]]] = [
        ("stores", stores),
        ("address_books", address_books),
    ]
    for field, items in named:
        foreign = [item.code for item in items if item.legal_entity_id not in employers]
        if foreign:
            raise Invalid(
                _("%(items)s belong to a legal entity the worker is not employed by.")
                % {"items": ", ".join(foreign)},
                field=field,
                rule="employer_only",
            )
