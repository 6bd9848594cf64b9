"""R-UX-2: HQ translates the allowed values of list attributes; every face shows a value in the
reader's language, while what is stored, filtered by and exported stays the value itself."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import translation

from clienteling.attributes.models import Attribute, AttributeChoice
from clienteling.clientbooks import selectors
from clienteling.clientbooks.services import customer_attributes_set
from clienteling.storeapp.forms import attribute_fields, filter_panel
from clienteling.storeapp.templatetags.storeapp import display_value, machine_value
from tests.api.conftest import API, token_for
from tests.factories import book_add

pytestmark = pytest.mark.django_db

LABELS = {
    "Handbags": ("Borse", "Rankinės"),
    "Shoes": ("Scarpe", "Batai"),
    "Jewellery": ("Gioielli", "Papuošalai"),
    "Watches": ("Orologi", "Laikrodžiai"),
}


@pytest.fixture
def translated(legal_entity):
    """PREF_CATEGORY's values translated as the demo translates them; Ready-to-wear not."""
    for value, (label_it, label_lt) in LABELS.items():
        AttributeChoice.objects.filter(attribute__code="PREF_CATEGORY", value=value).update(
            label_it=label_it, label_lt=label_lt
        )
    return Attribute.objects.get(code="PREF_CATEGORY")


@pytest.fixture
def shoes_customer(giulia, customers):
    """giulia's customer whose preferred category is Shoes."""
    customer = customers[0]
    book_add(giulia, customer)
    customer_attributes_set(actor=giulia, customer=customer, values={"PREF_CATEGORY": "Shoes"})
    return customer


def test_an_allowed_value_reads_as_its_label_in_the_active_language(translated):
    """R-UX-2: Italian and Lithuanian read the label; English reads the value itself."""
    labels = {}
    for language in ("en", "it", "lt"):
        with translation.override(language):
            labels[language] = translated.value_label("Shoes")

    assert labels == {"en": "Shoes", "it": "Scarpe", "lt": "Batai"}


def test_a_value_without_a_label_falls_back_to_the_value(translated):
    """R-UX-2: a value HQ has not translated yet still shows, in English."""
    with translation.override("it"):
        options = {c.value: c.label for c in translated.allowed_choices()}

    assert options["Ready-to-wear"] == "Ready-to-wear"
    assert options["Handbags"] == "Borse"


def test_the_stored_values_and_their_order_do_not_change_with_the_language(translated):
    """R-UX-2: validation, filters and exports keep working with the stored values."""
    with translation.override("lt"):
        values = translated.allowed_value_list()
        options = translated.allowed_choices()

    assert values == ["Handbags", "Shoes", "Jewellery", "Watches", "Ready-to-wear"]
    assert options == values, "each option is the stored value, rendered and submitted as it"
    assert [type(v) for v in values] == [str] * 5, "what is stored stays a plain value"


def test_the_store_app_card_shows_the_label_in_italian_and_lithuanian(
    client, giulia, translated, shoes_customer
):
    """R-UX-2: the card's PREF_CATEGORY reads Scarpe in Italian, Batai in Lithuanian; its
    machine value stays Shoes."""
    client.force_login(giulia.user)
    pages = {
        language: client.get(reverse("storeapp:book"), HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
        .split('data-code="PREF_CATEGORY"', 1)[1]
        .split("</div>", 1)[0]
        for language in ("it", "lt", "en")
    }

    assert 'data-value="Shoes">Scarpe' in pages["it"]
    assert 'data-value="Shoes">Batai' in pages["lt"]
    assert 'data-value="Shoes">Shoes' in pages["en"]


def test_the_customer_page_reads_the_label_in_the_readers_language(
    client, giulia, translated, shoes_customer
):
    """R-UX-2: the customer page shows Scarpe to an Italian reader; its machine value stays
    Shoes."""
    client.force_login(giulia.user)
    url = reverse("storeapp:customer", args=[shoes_customer.account])

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()

    assert 'id="attr-PREF_CATEGORY" data-value="Shoes">Scarpe' in page


def test_the_filter_panel_offers_the_values_by_their_labels(translated):
    """R-UX-2: the filter panel's list control offers each value (what the URL carries) with
    its label in the reader's language."""
    attributes = [translated]
    with translation.override("it"):
        (control,) = [c for c in filter_panel(attributes, _query()).controls]
        options = [(str(o), o.label) for o in control.choices]

    assert options[:2] == [("Handbags", "Borse"), ("Shoes", "Scarpe")]


def test_the_customer_page_shows_the_value_by_its_label(giulia, translated, shoes_customer):
    """R-UX-2: the customer's attribute reads Scarpe in Italian; the form still submits Shoes."""
    readings = selectors.customer_attribute_values(actor=giulia, customer=shoes_customer)
    with translation.override("it"):
        (field,) = [f for f in attribute_fields(readings, None, None) if f.code == "PREF_CATEGORY"]
        shown = display_value(field.value)
        choices = {str(c): c.label for c in field.attribute.allowed_choices()}

    assert shown == "Scarpe"
    assert machine_value(field.value) == "Shoes"
    assert field.text == "Shoes"
    assert choices["Shoes"] == "Scarpe"


def test_the_api_gives_the_labels_in_the_callers_language(giulia, translated, shoes_customer):
    """R-UX-2: the attributes list carries each allowed value with its label in the caller's
    language; cards and the customer's values keep the stored value, which filters take."""
    api = Client(headers={"Authorization": f"Bearer {token_for(giulia)}"})
    le = f"{API}/legal-entities/ITJW"

    in_lithuanian = api.get(f"{le}/attributes", HTTP_ACCEPT_LANGUAGE="lt").json()
    in_italian = api.get(f"{le}/attributes", HTTP_ACCEPT_LANGUAGE="it").json()
    cards = api.get(f"{le}/client-book?attr.PREF_CATEGORY=Shoes", HTTP_ACCEPT_LANGUAGE="it")

    def choices(attributes: list[dict]) -> list[dict]:
        (category,) = [a for a in attributes if a["code"] == "PREF_CATEGORY"]
        assert category["allowed_values"][1] == "Shoes"
        return list(category["choices"])

    assert choices(in_lithuanian)[1] == {"value": "Shoes", "label": "Batai"}
    assert choices(in_italian)[:2] == [
        {"value": "Handbags", "label": "Borse"},
        {"value": "Shoes", "label": "Scarpe"},
    ]
    (card,) = cards.json()["items"]
    (prop,) = [p for p in card["properties"] if p["code"] == "PREF_CATEGORY"]
    assert prop["value"] == "Shoes"


def _query() -> QueryDict:
    return QueryDict("")
