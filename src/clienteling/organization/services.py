"""Writes of the organisation (SPEC §1)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from clienteling.core.errors import Invalid
from clienteling.organization.models import AddressBook, LegalEntity, Store, Worker


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


def language_validate(language: str) -> str:
    """A language the product offers (R-UX-2), or Invalid naming the ones it does."""
    code = (language or "").strip()
    offered = [code for code, _name in settings.LANGUAGES]
    if code not in offered:
        raise Invalid(
            _("Choose one of the languages %(languages)s.") % {"languages": ", ".join(offered)},
            field="language",
            rule="allowed_values",
        )
    return code


def worker_language_set(*, worker: Worker, language: str) -> Worker:
    """Remember the language the worker chose, for every device they log in on (R-UX-2);
    empty forgets it, and the browser's language applies again."""
    code = language_validate(language) if (language or "").strip() else ""
    with transaction.atomic():
        if worker.language != code:
            worker.language = code
            worker.save(update_fields=["language"])
    return worker
