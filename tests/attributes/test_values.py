"""Attribute values: typed, checked against the attribute's rules, refused by name (R-ATTR-1, R-ATTR-4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clienteling.attributes.models import Attribute, AttributeValue, DataType
from clienteling.attributes.values import parse_value
from clienteling.clientbooks import services
from clienteling.core.errors import Forbidden, Invalid
from tests.factories import WorkerFactory, refinable_attribute

pytestmark = pytest.mark.django_db


def attribute(code: str) -> Attribute:
    return Attribute.objects.get(code=code)


@pytest.mark.parametrize(
    ("code", "raw", "expected"),
    [
        ("PREF_CATEGORY", "shoes", "Shoes"),
        ("FAV_BRAND", "  Gucci ", "Gucci"),
        ("BIRTHDAY", "1980-02-29", dt.date(1980, 2, 29)),
        ("BIRTHDAY", dt.date(1990, 1, 1), dt.date(1990, 1, 1)),
        ("RING_SIZE", "52,5", Decimal("52.5")),
        ("RING_SIZE", 75, Decimal("75")),
    ],
)
def test_valid_values_are_typed(legal_entity, code, raw, expected):
    """R-ATTR-1 / R-ATTR-4: text, list, date and decimal values come back typed."""
    assert parse_value(attribute(code), raw) == expected


def test_integer_and_boolean_values_are_typed(legal_entity):
    """R-ATTR-1: integer and yes/no attributes."""
    visits = refinable_attribute("VISITS", DataType.INTEGER, display_order=10)
    vip = refinable_attribute("VIP", DataType.BOOLEAN, display_order=11)

    assert parse_value(visits, "7") == Decimal(7)
    assert (parse_value(vip, "yes"), parse_value(vip, False)) == (True, False)


@pytest.mark.parametrize(
    ("code", "raw", "rule"),
    [
        ("PREF_CATEGORY", "Cars", "allowed_values"),
        ("PREF_CATEGORY", 3, "type"),
        ("FAV_BRAND", "x" * 201, "max_length"),
        ("BIRTHDAY", "1980-02-30", "type"),
        ("BIRTHDAY", "yesterday", "type"),
        ("RING_SIZE", "big", "type"),
        ("RING_SIZE", "39.9", "min"),
        ("RING_SIZE", "75.1", "max"),
        ("RING_SIZE", "50.1234567", "precision"),
        ("RING_SIZE", True, "type"),
    ],
)
def test_bad_value_is_invalid_naming_the_attribute_and_rule(legal_entity, code, raw, rule):
    """R-ATTR-4: wrong type, outside the list or the range: refused, naming attribute and rule."""
    with pytest.raises(Invalid) as error:
        parse_value(attribute(code), raw)

    assert (error.value.field, error.value.rule) == (code, rule)


def test_range_refusal_names_the_bound_and_the_unit(legal_entity):
    """R-ATTR-1 / R-ATTR-4: the message gives the bound with its unit."""
    with pytest.raises(Invalid) as error:
        parse_value(attribute("RING_SIZE"), "80")

    assert "Ring size" in str(error.value.message)
    assert "75 mm" in str(error.value.message)


def test_list_refusal_names_the_allowed_values(legal_entity):
    """R-ATTR-4: the message lists what is allowed."""
    with pytest.raises(Invalid) as error:
        parse_value(attribute("PREF_CATEGORY"), "Cars")

    assert "Handbags, Shoes, Jewellery, Watches, Ready-to-wear" in str(error.value.message)


def test_integer_attribute_refuses_a_fraction(legal_entity):
    """R-ATTR-1: an integer is whole."""
    visits = refinable_attribute("VISITS", DataType.INTEGER, display_order=10)

    with pytest.raises(Invalid) as error:
        parse_value(visits, "2.5")

    assert error.value.rule == "type"


def test_setting_values_stores_them_typed(legal_entity, giulia, customers):
    """R-ATTR-4: values are stored in the column of their type."""
    services.customer_attributes_set(
        actor=giulia,
        customer=customers[0],
        values={"BIRTHDAY": "1980-03-02", "RING_SIZE": "52", "PREF_CATEGORY": "watches"},
    )

    stored = {
        v.attribute.code: v.value for v in AttributeValue.objects.filter(customer=customers[0])
    }
    assert stored == {
        "BIRTHDAY": dt.date(1980, 3, 2),
        "RING_SIZE": Decimal("52"),
        "PREF_CATEGORY": "Watches",
    }
    birthday = AttributeValue.objects.get(customer=customers[0], attribute__code="BIRTHDAY")
    assert birthday.month_day == 302


def test_one_bad_value_refuses_all_and_changes_nothing(legal_entity, giulia, customers):
    """R-ATTR-4 / R-ERR-2: a batch with one bad value stores none of it."""
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"FAV_BRAND": "Gucci"}
    )

    with pytest.raises(Invalid) as error:
        services.customer_attributes_set(
            actor=giulia,
            customer=customers[0],
            values={"FAV_BRAND": "Prada", "RING_SIZE": "99"},
        )

    assert (error.value.field, error.value.rule) == ("RING_SIZE", "max")
    stored = AttributeValue.objects.filter(customer=customers[0])
    assert [(v.attribute.code, v.value) for v in stored] == [("FAV_BRAND", "Gucci")]


def test_attribute_outside_the_group_is_refused(legal_entity, giulia, customers):
    """R-ATTR-4: an attribute that is not in the client book attribute group is refused."""
    Attribute.objects.create(code="SHOE_SIZE", name="Shoe size", data_type=DataType.DECIMAL)

    with pytest.raises(Invalid) as error:
        services.customer_attributes_set(
            actor=giulia, customer=customers[0], values={"SHOE_SIZE": "40"}
        )

    assert (error.value.field, error.value.rule) == ("SHOE_SIZE", "not_in_group")
    assert not AttributeValue.objects.exists()


def test_empty_value_clears_it(legal_entity, giulia, customers):
    """R-ATTR-4: None or an empty string clears a value."""
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"FAV_BRAND": "Gucci", "RING_SIZE": 50}
    )

    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"FAV_BRAND": "", "RING_SIZE": None}
    )

    assert not AttributeValue.objects.filter(customer=customers[0]).exists()


def test_setting_values_needs_the_edit_grant(legal_entity, store, customers):
    """R-ATTR-4 / R-PERM-2: editing attribute values is a grant of its own."""
    reader = WorkerFactory.create(stores=[store], operations=[])

    with pytest.raises(Forbidden):
        services.customer_attributes_set(
            actor=reader, customer=customers[0], values={"FAV_BRAND": "Gucci"}
        )

    assert not AttributeValue.objects.exists()


@pytest.mark.parametrize("raw", ["1e999999999", "-1e999999999", "1e14", "-100000000000000"])
def test_a_number_beyond_the_limit_is_refused_whatever_its_exponent(raw):
    """R-ERR-1: a huge exponent is a clear refusal naming the attribute, not an overflow."""
    ring = Attribute(code="RING_SIZE", name="Ring size", data_type=DataType.DECIMAL)

    with pytest.raises(Invalid) as error:
        parse_value(ring, raw)

    assert (error.value.field, error.value.rule) == ("RING_SIZE", "type")


def test_the_largest_number_below_the_limit_is_kept():
    ring = Attribute(code="RING_SIZE", name="Ring size", data_type=DataType.DECIMAL)

    assert parse_value(ring, "99999999999999.25") == Decimal("99999999999999.25")
