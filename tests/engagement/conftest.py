"""Helpers for acting on the book: a clock set to a chosen local time, customers in a book
with their dates, and HQ's e-mail templates."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Sequence

import pytest
from django.utils import timezone

from clienteling.clientbooks.services import attribute_values_upsert
from clienteling.customers.models import Customer
from clienteling.engagement.models import EmailTemplate
from clienteling.organization.models import LegalEntity, Worker
from tests.api.conftest import ApiClient, token_for
from tests.factories import CustomerFactory, book_add

ROME = zoneinfo.ZoneInfo("Europe/Rome")


@pytest.fixture
def clock(monkeypatch) -> Callable[[dt.datetime], dt.datetime]:
    """``clock(datetime)`` makes that (Rome, when naive) the present for the code under test."""

    def set_now(moment: dt.datetime) -> dt.datetime:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=ROME)
        monkeypatch.setattr(timezone, "now", lambda: aware)
        return aware

    return set_now


def customers_in_book(
    owner: Worker, legal_entity: LegalEntity, count: int, **fields: object
) -> list[Customer]:
    """``count`` new customers, in ``owner``'s book."""
    built = CustomerFactory.build_batch(count, legal_entity=legal_entity, **fields)
    Customer.objects.bulk_create(built, batch_size=500)
    made = list(
        Customer.objects.filter(
            legal_entity=legal_entity, account__in=[c.account for c in built]
        ).order_by("account")
    )
    book_add(owner, *made, legal_entity=legal_entity)
    return made


def set_values(legal_entity: LegalEntity, rows: Sequence[tuple[Customer, str, str]]) -> None:
    refused = attribute_values_upsert(
        legal_entity=legal_entity, rows=[(c.account, code, value) for c, code, value in rows]
    )
    assert refused == {}


TEMPLATES = {
    ("BIRTHDAY", "en"): ("Happy birthday, {first_name}!", "Dear {first_name},\nall the best from {associate} at {store}."),
    ("BIRTHDAY", "it"): ("Buon compleanno, {first_name}!", "Cara/o {first_name},\ntanti auguri da {associate}, {store}."),
    ("BIRTHDAY", "lt"): ("Su gimtadieniu, {first_name}!", "Brangi(-us) {first_name},\nsveikina {associate}, {store}."),
}  # fmt: skip


@pytest.fixture
def templates(legal_entity) -> list[EmailTemplate]:
    return [
        EmailTemplate.objects.create(
            legal_entity=legal_entity, code=code, language=language, subject=subject, body=body
        )
        for (code, language), (subject, body) in TEMPLATES.items()
    ]


@pytest.fixture
def as_worker(db):
    """``as_worker(worker)``: an API client with a fresh bearer token of that worker."""
    return lambda worker: ApiClient(token_for(worker))
