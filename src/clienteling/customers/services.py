"""Writes of customers: creation and contact changes keep the card rows in step."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clienteling.clientbooks import readmodel
from clienteling.core.errors import Conflict, Invalid
from clienteling.customers.models import Customer
from clienteling.customers.selectors import customer_ids_by_account
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


def _validate(
    customer: Customer, exclude: Collection[str] = ("legal_entity", "address_books")
) -> None:
    try:
        customer.full_clean(exclude=list(exclude), validate_unique=False)
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


DERIVED_FIELDS = ("phone_digits", "sort_name", "search_name")


@transaction.atomic
def customers_upsert(
    *,
    legal_entity: LegalEntity,
    records: Sequence[Mapping[str, Any]],
    fields: Collection[str],
    address_books: bool = False,
) -> dict[int, Invalid]:
    """Create or update customers by account number, in bulk (R-IO-2): the path of an import.

    Each record holds ``account``, the contact ``fields`` (on an existing customer the others
    stay as they are) and, with ``address_books``, the codes of its store address books, which
    then replace the ones it had. Every record is checked as ``customer_create`` checks one; a
    record that breaks a rule is refused, by its index, and the others are written. Of two
    records for one account the later wins, as if they had been sent one after the other.
    """
    unknown = set(fields) - CONTACT_FIELDS
    if unknown or "last_name" not in fields:
        raise ValueError(f"fields must be contact fields and include last_name: {sorted(fields)}")
    books = {b.code: b.pk for b in AddressBook.objects.filter(legal_entity=legal_entity)}
    # Checked: the account and the fields given; the others keep what the row holds.
    exclude = [f.name for f in Customer._meta.get_fields() if f.name not in {*fields, "account"}]
    refused: dict[int, Invalid] = {}
    accepted: dict[str, tuple[int, Customer, list[int]]] = {}
    for index, record in enumerate(records):
        customer = Customer(
            legal_entity=legal_entity,
            account=record.get("account", ""),
            **{name: record[name] for name in fields if name in record},
        )
        customer.refresh_derived()
        try:
            _validate(customer, exclude)
            codes = list(record.get("address_books") or ()) if address_books else []
            missing = [code for code in codes if code not in books]
            if missing:
                raise Invalid(
                    _("Address book %(code)s does not exist in %(le)s.")
                    % {"code": missing[0], "le": legal_entity.code},
                    field="address_books",
                    rule="unknown",
                )
        except Invalid as error:
            refused[index] = error
            continue
        accepted[customer.account] = (index, customer, [books[code] for code in codes])
    if not accepted:
        return refused
    Customer.objects.bulk_create(
        [customer for _index, customer, _books in accepted.values()],
        update_conflicts=True,
        unique_fields=["legal_entity", "account"],
        update_fields=[*sorted(fields), *DERIVED_FIELDS, "updated_at"],
    )
    ids = customer_ids_by_account(legal_entity, accepted)
    if address_books:
        through = Customer.address_books.through
        through.objects.filter(customer_id__in=list(ids.values())).delete()
        through.objects.bulk_create(
            [
                through(customer_id=ids[account], addressbook_id=book_id)
                for account, (_index, _customer, book_ids) in accepted.items()
                for book_id in dict.fromkeys(book_ids)
            ],
            batch_size=readmodel.BATCH,
        )
    readmodel.refresh_customers(ids.values())
    return refused
