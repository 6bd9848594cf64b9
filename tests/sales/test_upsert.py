"""R-SALE-1: sales lines in bulk, by (transaction, line), each row checked on its own."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from clienteling.sales.models import SaleLine
from clienteling.sales.services import sales_upsert
from tests.factories import CustomerFactory, LegalEntityFactory, StoreFactory
from tests.sales.conftest import row

pytestmark = pytest.mark.django_db

ROME = zoneinfo.ZoneInfo("Europe/Rome")


def test_valid_lines_are_written_with_every_column(legal_entity, store, buyer):
    """R-SALE-1: account, transaction, line, date and time, store, product, category,
    quantity, amount and currency are kept."""
    refused = sales_upsert(legal_entity=legal_entity, lines=[row()])

    assert refused == {}
    sale = SaleLine.objects.get()
    assert (sale.legal_entity, sale.customer, sale.store) == (legal_entity, buyer, store)
    assert (sale.transaction, sale.line, sale.quantity) == ("MI01-0001", 1, 1)
    assert (sale.product, sale.product_name, sale.category) == (
        "JW-LUNA-18",
        "Luna pendant",
        "Jewellery",
    )
    assert (sale.amount, sale.currency) == (Decimal("1850.00"), "EUR")
    assert sale.sold_at == dt.datetime(2026, 3, 14, 15, 30, tzinfo=dt.UTC)


def test_sending_the_same_lines_again_changes_nothing(legal_entity, store, buyer):
    """R-SALE-1: a line is identified by (transaction, line): no duplicate on a second send."""
    lines = [row(), row(line="2", amount="120.50"), row(transaction="MI01-0002")]
    sales_upsert(legal_entity=legal_entity, lines=lines)
    before = list(SaleLine.objects.order_by("id").values())

    refused = sales_upsert(legal_entity=legal_entity, lines=lines)

    assert refused == {}
    assert list(SaleLine.objects.order_by("id").values()) == before
    assert len(before) == 3


def test_a_line_sent_again_with_other_values_is_replaced(legal_entity, store, buyer):
    """R-SALE-1: the ERP's correction of a line replaces it."""
    sales_upsert(legal_entity=legal_entity, lines=[row()])

    sales_upsert(legal_entity=legal_entity, lines=[row(amount="1700.00", store="")])

    sale = SaleLine.objects.get()
    assert (sale.amount, sale.store) == (Decimal("1700.00"), None)


def test_of_two_rows_for_one_line_in_a_batch_the_later_wins(legal_entity, store, buyer):
    """R-SALE-1: as if they had been sent one after the other."""
    refused = sales_upsert(
        legal_entity=legal_entity, lines=[row(amount="10.00"), row(amount="20.00")]
    )

    assert refused == {}
    assert SaleLine.objects.get().amount == Decimal("20.00")


def test_the_same_transaction_in_another_legal_entity_is_another_line(
    legal_entity, store, buyer, other_legal_entity
):
    """R-SALE-1: lines are identified within their legal entity."""
    CustomerFactory.create(legal_entity=other_legal_entity, account="IT000042")
    StoreFactory.create(legal_entity=other_legal_entity, code="MI01")

    sales_upsert(legal_entity=legal_entity, lines=[row()])
    sales_upsert(legal_entity=other_legal_entity, lines=[row()])

    assert SaleLine.objects.count() == 2


def test_refused_rows_are_named_by_index_and_the_others_are_written(legal_entity, store, buyer):
    """R-SALE-1: a bad row does not stop the good ones."""
    lines = [row(line="1"), row(line="2", amount="lots"), row(line="3")]

    refused = sales_upsert(legal_entity=legal_entity, lines=lines)

    assert list(refused) == [1]
    assert refused[1].field == "amount"
    assert sorted(SaleLine.objects.values_list("line", flat=True)) == [1, 3]


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"transaction": ""}, "transaction", "required"),
        ({"line": ""}, "line", "required"),
        ({"account": ""}, "account", "required"),
        ({"sold_at": ""}, "sold_at", "required"),
        ({"amount": ""}, "amount", "required"),
        ({"transaction": "T" * 51}, "transaction", "max_length"),
        ({"product": "P" * 51}, "product", "max_length"),
        ({"product_name": "N" * 201}, "product_name", "max_length"),
        ({"category": "C" * 81}, "category", "max_length"),
        ({"product_name": "Luna\x00"}, "product_name", "control_character"),
        ({"transaction": "MI01\x1b0001"}, "transaction", "control_character"),
        ({"category": "Jewel\x7fery"}, "category", "control_character"),
        ({"line": "one"}, "line", "format"),
        ({"line": "1.5"}, "line", "format"),
        ({"line": "-1"}, "line", "format"),
        ({"line": "0"}, "line", "range"),
        ({"line": "2147483648"}, "line", "range"),
        ({"line": "9" * 5000}, "line", "range"),
        ({"account": "IT999999"}, "account", "unknown"),
        ({"sold_at": "14/03/2026"}, "sold_at", "format"),
        ({"sold_at": "2026-02-30"}, "sold_at", "format"),
        ({"sold_at": "2026-03-14T25:00:00"}, "sold_at", "format"),
        ({"sold_at": "1969-12-31"}, "sold_at", "range"),
        ({"sold_at": "2999-01-01"}, "sold_at", "not_future"),
        ({"sold_at": "9999-12-31T23:59:59-23:59"}, "sold_at", "format"),
        ({"store": "XX99"}, "store", "unknown"),
        ({"quantity": "0"}, "quantity", "not_zero"),
        ({"quantity": "two"}, "quantity", "format"),
        ({"quantity": "1.5"}, "quantity", "format"),
        ({"quantity": "-2147483648"}, "quantity", "range"),
        ({"amount": "12,50"}, "amount", "format"),
        ({"amount": "1e5"}, "amount", "format"),
        ({"amount": "NaN"}, "amount", "format"),
        ({"amount": "12.345"}, "amount", "decimal_places"),
        ({"amount": "10000000000.00"}, "amount", "range"),
        ({"amount": "-" + "9" * 4000}, "amount", "range"),
        ({"currency": "EURO"}, "currency", "iso_4217"),
        ({"currency": "XYZ"}, "currency", "iso_4217"),
        ({"currency": "€"}, "currency", "iso_4217"),
    ],
)
def test_every_bad_value_is_refused_with_its_column_and_rule(
    legal_entity, store, buyer, changes, field, rule
):
    """R-SALE-1: the row is refused with the column and a message; nothing is written."""
    refused = sales_upsert(legal_entity=legal_entity, lines=[row(**changes)])

    assert list(refused) == [0]
    error = refused[0]
    assert (error.field, error.rule) == (field, rule)
    assert str(error.message)
    assert not SaleLine.objects.exists()


def test_a_sale_in_the_future_is_refused_but_a_till_a_little_ahead_is_not(
    legal_entity, store, buyer
):
    """R-SALE-1: a till's clock may run a few hours ahead; a date next week is an error."""
    now = timezone.now()
    soon = (now + dt.timedelta(hours=3)).isoformat()
    next_week = (now + dt.timedelta(days=7)).isoformat()

    refused = sales_upsert(
        legal_entity=legal_entity,
        lines=[row(line="1", sold_at=soon), row(line="2", sold_at=next_week)],
    )

    assert list(refused) == [1]
    assert refused[1].rule == "not_future"


def test_a_store_of_another_legal_entity_is_unknown(legal_entity, store, buyer, other_store):
    """R-SALE-1: VL01 is LTFA's: not a store of ITJW."""
    refused = sales_upsert(legal_entity=legal_entity, lines=[row(store="VL01")])

    assert (refused[0].field, refused[0].rule) == ("store", "unknown")


def test_a_customer_of_another_legal_entity_is_unknown(legal_entity, store, other_legal_entity):
    """R-SALE-1: an account is looked up in the legal entity of the import only."""
    CustomerFactory.create(legal_entity=other_legal_entity, account="IT000042")

    refused = sales_upsert(legal_entity=legal_entity, lines=[row()])

    assert (refused[0].field, refused[0].rule) == ("account", "unknown")


def test_a_date_alone_is_local_midnight_and_a_time_without_offset_local_time(
    legal_entity, store, buyer
):
    """R-SALE-1: the legal entity's time zone (Europe/Rome) where the file gives none."""
    sales_upsert(
        legal_entity=legal_entity,
        lines=[
            row(line="1", sold_at="2026-03-14"),
            row(line="2", sold_at="2026-07-01T10:15:00"),
            row(line="3", sold_at="2026-07-01 10:15:00Z"),
        ],
    )

    moments = dict(SaleLine.objects.values_list("line", "sold_at"))
    assert moments[1] == dt.datetime(2026, 3, 14, tzinfo=ROME)
    assert moments[2] == dt.datetime(2026, 7, 1, 10, 15, tzinfo=ROME)
    assert moments[3] == dt.datetime(2026, 7, 1, 10, 15, tzinfo=dt.UTC)


def test_defaults_online_one_piece_and_the_legal_entitys_currency(legal_entity, store, buyer):
    """R-SALE-1: store, quantity and currency may be left out; missing columns are empty."""
    lines = [{"transaction": "WEB-1", "line": "1", "account": "IT000042", "sold_at": "2026-03-14",
              "amount": "-80.5"}]  # fmt: skip

    assert sales_upsert(legal_entity=legal_entity, lines=lines) == {}

    sale = SaleLine.objects.get()
    assert (sale.store, sale.quantity, sale.currency) == (None, 1, "EUR")
    assert sale.amount == Decimal("-80.50")
    assert (sale.product, sale.product_name, sale.category) == ("", "", "")


def test_the_legal_entitys_own_currency_is_the_default(store):
    """R-SALE-1: a legal entity that sells in Swiss francs."""
    swiss = LegalEntityFactory.create(code="CHJW", currency="CHF")
    CustomerFactory.create(legal_entity=swiss, account="IT000042")

    sales_upsert(legal_entity=swiss, lines=[row(store="", currency="")])

    assert SaleLine.objects.get().currency == "CHF"


def test_returns_and_lower_case_currencies_are_taken(legal_entity, store, buyer):
    """R-SALE-1: a return is a negative quantity and amount; 'usd' is USD."""
    refused = sales_upsert(
        legal_entity=legal_entity,
        lines=[row(quantity="-1", amount="-1850.00", currency="usd")],
    )

    assert refused == {}
    sale = SaleLine.objects.get()
    assert (sale.quantity, sale.amount, sale.currency) == (-1, Decimal("-1850.00"), "USD")


def test_an_empty_batch_writes_nothing(legal_entity):
    """R-SALE-1: nothing to do is no error."""
    assert sales_upsert(legal_entity=legal_entity, lines=[]) == {}


def test_thousands_of_lines_of_hundreds_of_customers_go_in_one_call(legal_entity, store):
    """R-SALE-1: the bulk path of an import (one batch of the CSV)."""
    customers = CustomerFactory.create_batch(300, legal_entity=legal_entity)
    lines = [
        row(transaction=f"T{n // 4:05d}", line=str(n % 4 + 1), account=customers[n % 300].account)
        for n in range(3000)
    ]

    assert sales_upsert(legal_entity=legal_entity, lines=lines) == {}

    assert SaleLine.objects.filter(legal_entity=legal_entity).count() == 3000
    assert SaleLine.objects.values("customer").distinct().count() == 300


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("transaction", ""),
        ("line", 0),
        ("quantity", 0),
        ("currency", "eur"),
        ("currency", "EU1"),
        ("currency", "EÜR"),
        ("currency", "EU"),
        ("currency", "EURO"),
        ("amount", Decimal("10000000000")),
    ],
)
def test_the_database_refuses_a_line_that_breaks_an_invariant(
    legal_entity, store, buyer, field, value
):
    """R-SALE-1: the rules hold even for a write that bypasses the service (PostgreSQL's
    numeric column refuses an amount too large before the check does)."""
    fields = {
        "legal_entity": legal_entity,
        "transaction": "T1",
        "line": 1,
        "customer": buyer,
        "sold_at": timezone.now(),
        "amount": Decimal("1.00"),
        "currency": "EUR",
        field: value,
    }
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        SaleLine.objects.create(**fields)


def test_the_database_refuses_a_second_line_with_the_same_key(legal_entity, store, buyer):
    """R-SALE-1: (legal entity, transaction, line) is unique."""
    sales_upsert(legal_entity=legal_entity, lines=[row()])
    sale = SaleLine.objects.get()
    sale.pk = None

    with pytest.raises(IntegrityError), transaction.atomic():
        sale.save()


def _constraints_checked() -> None:
    """PostgreSQL checks the foreign keys at commit: check them now (SQLite's triggers have)."""
    connection.check_constraints()


def _insert_line(legal_entity_id: int, customer_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO sales_saleline (legal_entity_id, "transaction", line, customer_id, '
            "sold_at, product, product_name, category, quantity, amount, currency) "
            "VALUES (%s, 'T9', 1, %s, %s, '', '', '', 1, 1, 'EUR')",
            [legal_entity_id, customer_id, timezone.now()],
        )


def test_the_database_refuses_a_line_naming_a_customer_of_another_legal_entity(
    legal_entity, other_legal_entity, buyer
):
    """R-SALE-1, R-SEC: one foreign key holds the line's legal entity and its customer
    together, even for a write that bypasses the service and the ORM."""
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_line(other_legal_entity.pk, buyer.pk)
        _constraints_checked()
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_line(legal_entity.pk, buyer.pk + 1000)
        _constraints_checked()
    _insert_line(legal_entity.pk, buyer.pk)
    _constraints_checked()
    assert SaleLine.objects.get().customer == buyer


def test_a_customers_lines_go_with_it_and_never_to_another_legal_entity(
    legal_entity, other_legal_entity, store, buyer
):
    """The other side of the key: a line never names a customer that is gone or in another
    legal entity, even after a write that bypasses the ORM."""
    sales_upsert(legal_entity=legal_entity, lines=[row()])
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE customers_customer SET legal_entity_id = %s WHERE id = %s",
                [other_legal_entity.pk, buyer.pk],
            )
        _constraints_checked()
    assert SaleLine.objects.filter(customer=buyer).exists()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_customer WHERE id = %s", [buyer.pk])
    _constraints_checked()
    assert not SaleLine.objects.exists()
