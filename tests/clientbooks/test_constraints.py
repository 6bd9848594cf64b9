"""Invariants the database itself enforces, even for writes that bypass the services
(R-BOOK-1, R-BOOK-2, R-SEQ-1, R-ORG-4)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.utils import timezone

from clienteling.clientbooks.models import ClientBook, Membership
from tests.factories import CustomerFactory, book_add

pytestmark = pytest.mark.django_db


def membership(book, customer, *, is_primary=True) -> Membership:
    return Membership.objects.create(
        legal_entity=book.legal_entity,
        book=book,
        customer=customer,
        is_primary=is_primary,
        sort_name="x",
        search_text="x",
        added_at=timezone.now(),
    )


def test_second_book_for_the_same_worker_and_legal_entity_is_refused(legal_entity, giulia):
    """R-BOOK-1: one book per worker per legal entity, as a unique constraint."""
    ClientBook.objects.create(legal_entity=legal_entity, owner=giulia, identifier="CB-1")

    with pytest.raises(IntegrityError):
        ClientBook.objects.create(legal_entity=legal_entity, owner=giulia, identifier="CB-2")


def test_duplicate_book_identifier_in_a_legal_entity_is_refused(legal_entity, giulia, marco):
    """R-SEQ-1: identifiers are unique within the legal entity."""
    ClientBook.objects.create(legal_entity=legal_entity, owner=giulia, identifier="CB-1")

    with pytest.raises(IntegrityError):
        ClientBook.objects.create(legal_entity=legal_entity, owner=marco, identifier="CB-1")


def test_second_primary_membership_of_a_customer_is_refused(legal_entity, giulia, marco, customers):
    """R-BOOK-2: a customer is primary in one book only, so in exclusive mode (where every
    membership is primary) in one book only."""
    book_add(giulia, customers[0])
    book_add(marco, customers[1])
    marcos = ClientBook.objects.get(owner=marco)

    with pytest.raises(IntegrityError):
        membership(marcos, customers[0])


def test_same_customer_twice_in_one_book_is_refused(legal_entity, giulia, customers):
    """R-BOOK-2: one membership per book and customer, even non-primary."""
    book_add(giulia, customers[0])
    book = ClientBook.objects.get(owner=giulia)

    with pytest.raises(IntegrityError):
        membership(book, customers[0], is_primary=False)


def test_duplicate_account_in_a_legal_entity_is_refused(legal_entity):
    """R-ORG-4: the account number is unique within its legal entity."""
    CustomerFactory.create(legal_entity=legal_entity, account="ACC1")

    with pytest.raises(IntegrityError):
        CustomerFactory.create(legal_entity=legal_entity, account="ACC1")


def test_same_account_in_another_legal_entity_is_allowed(legal_entity, other_legal_entity):
    """R-ORG-4: uniqueness is per legal entity."""
    CustomerFactory.create(legal_entity=legal_entity, account="ACC1")

    other = CustomerFactory.create(legal_entity=other_legal_entity, account="ACC1")

    assert other.pk is not None


def test_customer_with_memberships_cannot_be_deleted_by_accident(legal_entity, giulia, customers):
    """R-BOOK-10: a customer in a book is protected from deletion."""
    book_add(giulia, customers[0])

    with pytest.raises(ProtectedError):
        customers[0].delete()
