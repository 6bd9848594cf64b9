"""Writes of customers: creation and contact changes keep the card rows in step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clienteling.clientbooks import readmodel
from clienteling.core.errors import Conflict, Invalid
from clienteling.customers.models import Customer
from clienteling.organization.models import AddressBook, LegalEntity

CONTACT_FIELDS = {
    "first_name",
    "last_name",
    "email",
    "phone",
    "street",
    "city",
    "postal_code",
    "country",
    "preferred_language",
    "consent_email",
    "consent_phone",
    "consent_sms",
}


def _validate(customer: Customer) -> None:
    try:
        customer.full_clean(exclude=["legal_entity", "address_books"], validate_unique=False)
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise Invalid(f"{name}: {messages[0]}", field=name, rule="invalid") from None


@transaction.atomic
def customer_create(
    *,
    legal_entity: LegalEntity,
    account: str,
    address_books: Iterable[AddressBook] = (),
    **contact: Any,
) -> Customer:
    """Create a customer; the account number must be new in the legal entity (R-ORG-4)."""
    unknown = set(contact) - CONTACT_FIELDS
    if unknown:
        raise Invalid(_("Unknown field."), field=sorted(unknown)[0], rule="unknown")
    customer = Customer(legal_entity=legal_entity, account=account, **contact)
    customer.refresh_derived()
    _validate(customer)
    books = list(address_books)
    _require_own_address_books(legal_entity, books)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise Conflict(
            _("Customer %(account)s already exists in %(le)s.")
            % {"account": account, "le": legal_entity.code},
            field="account",
            details={"customer": account},
        ) from None
    if books:
        customer.address_books.set(books)
    return customer


def _require_own_address_books(legal_entity: LegalEntity, books: list[AddressBook]) -> None:
    if any(book.legal_entity_id != legal_entity.pk for book in books):
        raise Invalid(
            _("Address books must belong to %(le)s.") % {"le": legal_entity.code},
            field="address_books",
            rule="same_legal_entity",
        )


@transaction.atomic
def customer_address_books_set(*, customer: Customer, address_books: Iterable[AddressBook]) -> None:
    """The store address books a customer belongs to, of its own legal entity (R-ORG-4)."""
    books = list(address_books)
    _require_own_address_books(customer.legal_entity, books)
    customer.address_books.set(books)


@transaction.atomic
def customer_update(*, customer: Customer, **contact: Any) -> Customer:
    """Change contact data; the client book rows that show the customer follow at once."""
    unknown = set(contact) - CONTACT_FIELDS
    if unknown:
        raise Invalid(_("Unknown field."), field=sorted(unknown)[0], rule="unknown")
    for name, value in contact.items():
        setattr(customer, name, value)
    customer.refresh_derived()
    _validate(customer)
    customer.save()
    readmodel.refresh_customers([customer.id])
    return customer
