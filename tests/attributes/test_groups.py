"""Attribute groups, display order, the client book group parameter, refinable flag
(R-ATTR-1, R-ATTR-2, R-ATTR-3, R-ATTR-5)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from clienteling.attributes.models import (
    Attribute,
    AttributeGroup,
    AttributeGroupMember,
    DataType,
)
from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.models import ClientelingParameters
from clienteling.core.errors import Invalid
from tests.factories import book_add

pytestmark = pytest.mark.django_db


def test_group_attributes_come_in_display_order(legal_entity):
    """R-ATTR-2: display order 1 comes before 2."""
    parameters = selectors.parameters_for(legal_entity)

    codes = [a.code for a in selectors.group_attributes(parameters)]

    assert codes == ["BIRTHDAY", "ANNIVERSARY", "PREF_CATEGORY", "FAV_BRAND", "RING_SIZE"]


def test_display_order_is_unique_in_a_group(legal_entity):
    """R-ATTR-2: two attributes cannot share a place in a group."""
    extra = Attribute.objects.create(code="EXTRA", name="Extra", data_type=DataType.TEXT)
    group = AttributeGroup.objects.get(code="CLIENTBOOK")

    with pytest.raises(IntegrityError), transaction.atomic():
        AttributeGroupMember.objects.create(group=group, attribute=extra, display_order=1)


def test_an_attribute_is_in_a_group_once(legal_entity):
    """R-ATTR-2: an attribute has one display order per group."""
    group = AttributeGroup.objects.get(code="CLIENTBOOK")
    birthday = Attribute.objects.get(code="BIRTHDAY")

    with pytest.raises(IntegrityError), transaction.atomic():
        AttributeGroupMember.objects.create(group=group, attribute=birthday, display_order=50)


def test_attribute_names_are_translatable(legal_entity):
    """R-ATTR-1, R-I18N-1: HQ names an attribute per language, falling back to English."""
    birthday = Attribute.objects.get(code="BIRTHDAY")
    birthday.name_it = "Compleanno"

    assert birthday.localized_name("it") == "Compleanno"
    assert birthday.localized_name("lt") == "Birthday"


def test_min_above_max_is_refused_by_the_database(legal_entity):
    """R-ATTR-1: a range's minimum cannot exceed its maximum."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Attribute.objects.create(
            code="BAD", name="Bad", data_type=DataType.INTEGER, min_value=10, max_value=1
        )


def test_client_book_group_parameter_decides_the_attributes(legal_entity, giulia, customers):
    """R-ATTR-3: switching the legal entity's client book group changes what is captured."""
    other = AttributeGroup.objects.create(code="OTHER", name="Other")
    size = Attribute.objects.create(code="SHOE_SIZE", name="Shoe size", data_type=DataType.DECIMAL)
    AttributeGroupMember.objects.create(group=other, attribute=size, display_order=1)

    services.clienteling_parameters_update(legal_entity=legal_entity, attribute_group=other)

    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"SHOE_SIZE": "40"}
    )
    with pytest.raises(Invalid):
        services.customer_attributes_set(
            actor=giulia, customer=customers[0], values={"FAV_BRAND": "Gucci"}
        )


def test_client_book_group_is_per_legal_entity(legal_entity, other_legal_entity):
    """R-ATTR-3: each legal entity names its own group."""
    other = AttributeGroup.objects.create(code="OTHER", name="Other")

    services.clienteling_parameters_update(legal_entity=other_legal_entity, attribute_group=other)

    group = ClientelingParameters.objects.get(legal_entity=legal_entity).attribute_group
    assert group is not None
    assert group.code == "CLIENTBOOK"


def test_without_a_client_book_group_nothing_filters(legal_entity):
    """R-ATTR-3 / R-ATTR-5: no group, no refinable attribute to filter by."""
    services.clienteling_parameters_update(legal_entity=legal_entity, attribute_group=None)

    with pytest.raises(Invalid):
        selectors.card_filter_parse(
            legal_entity=legal_entity, params={"attr.PREF_CATEGORY": "Shoes"}
        )


def test_only_refinable_attributes_get_a_filter_slot(legal_entity):
    """R-ATTR-5: refinable attributes are indexed for filtering; the others are not."""
    slots = dict(Attribute.objects.values_list("code", "filter_slot"))

    assert slots["RING_SIZE"] is None
    assert all(slots[code] for code in ("BIRTHDAY", "ANNIVERSARY", "PREF_CATEGORY", "FAV_BRAND"))


def test_non_refinable_attribute_cannot_filter(legal_entity):
    """R-ATTR-5: filtering by an attribute without the flag is refused."""
    with pytest.raises(Invalid) as error:
        selectors.card_filter_parse(legal_entity=legal_entity, params={"attr.RING_SIZE.min": "40"})

    assert error.value.rule == "not_refinable"


def test_exclusive_mode_cannot_be_chosen_while_customers_are_shared(
    legal_entity, giulia, marco, customers
):
    """R-BOOK-2: HQ cannot switch back to exclusive mode while a customer is in two books."""
    services.clienteling_parameters_update(legal_entity=legal_entity, membership_mode="shared")
    book_add(giulia, customers[0])
    book_add(marco, customers[0])

    with pytest.raises(Invalid) as error:
        services.clienteling_parameters_update(
            legal_entity=legal_entity, membership_mode="exclusive"
        )

    assert error.value.rule == "shared_memberships_exist"
    assert ClientelingParameters.objects.get(legal_entity=legal_entity).membership_mode == "shared"
