"""Customers: account numbers unique per legal entity, contact data checked (R-ORG-4)."""

from __future__ import annotations

import pytest

from clienteling.core.errors import Conflict, Invalid
from clienteling.customers.models import Customer
from clienteling.customers.services import customer_create, customer_update

pytestmark = pytest.mark.django_db


def test_customer_is_created_with_contact_consent_and_address_books(legal_entity, store):
    """R-ORG-4: name, email, phone, address, language, consent and address books."""
    books = list(store.address_books.all())

    customer = customer_create(
        legal_entity=legal_entity,
        account="ACC-1",
        address_books=books,
        first_name="Anna",
        last_name="Rossi",
        email="anna@example.com",
        phone="+39 (02) 123-456",
        city="Milano",
        preferred_language="it",
        consent_email=True,
    )

    assert customer.phone_digits == "3902123456"
    assert customer.sort_name == "rossi anna"
    assert (customer.consent_email, customer.consent_phone) == (True, False)
    assert list(customer.address_books.all()) == books


def test_duplicate_account_in_the_legal_entity_is_a_conflict(legal_entity):
    """R-ORG-4: the account number is the customer id within its legal entity."""
    customer_create(legal_entity=legal_entity, account="ACC-1", last_name="Rossi")

    with pytest.raises(Conflict) as error:
        customer_create(legal_entity=legal_entity, account="ACC-1", last_name="Bianchi")

    assert error.value.field == "account"
    assert Customer.objects.filter(account="ACC-1").count() == 1


def test_same_account_in_two_legal_entities_is_two_customers(legal_entity, other_legal_entity):
    """R-ORG-4: uniqueness is within the legal entity only."""
    customer_create(legal_entity=legal_entity, account="ACC-1", last_name="Rossi")
    customer_create(legal_entity=other_legal_entity, account="ACC-1", last_name="Jonaitis")

    assert Customer.objects.filter(account="ACC-1").count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"preferred_language": "Italian!"}, "preferred_language"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_bad_contact_data_is_invalid_naming_the_field(legal_entity, fields, field):
    """R-ORG-4 / R-ERR-1: bad input names the field, and no customer is created."""
    with pytest.raises(Invalid) as error:
        customer_create(legal_entity=legal_entity, account="ACC-1", last_name="Rossi", **fields)

    assert error.value.field == field
    assert not Customer.objects.exists()


def test_bad_account_number_is_invalid(legal_entity):
    """R-ORG-4: account numbers are up to 30 letters, digits, '_', '.' or '-'."""
    with pytest.raises(Invalid) as error:
        customer_create(legal_entity=legal_entity, account="has space", last_name="Rossi")

    assert error.value.field == "account"


def test_address_books_of_another_legal_entity_are_refused(legal_entity, other_store):
    """R-ORG-4 / R-ORG-1: a customer belongs to address books of its own legal entity."""
    with pytest.raises(Invalid) as error:
        customer_create(
            legal_entity=legal_entity,
            account="ACC-1",
            last_name="Rossi",
            address_books=list(other_store.address_books.all()),
        )

    assert error.value.rule == "same_legal_entity"
    assert not Customer.objects.exists()


def test_update_with_bad_email_changes_nothing(legal_entity):
    """R-ORG-4 / R-ERR-1: a refused update leaves the stored customer as it was."""
    customer = customer_create(
        legal_entity=legal_entity, account="ACC-1", last_name="Rossi", email="a@example.com"
    )

    with pytest.raises(Invalid):
        customer_update(customer=customer, email="broken")

    assert Customer.objects.get(pk=customer.pk).email == "a@example.com"
