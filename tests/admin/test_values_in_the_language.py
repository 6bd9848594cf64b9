"""R-UX-2 in the back office: HQ translates allowed values; a customer's values read as values
in HQ's language, never as Python (``datetime.date(1962, 8, 20)``, ``Decimal('52.000000')``);
help texts show every word they were written with."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.urls import reverse

from clienteling.attributes.models import Attribute
from clienteling.clientbooks.services import customer_attributes_set
from tests.admin.conftest import submit
from tests.factories import book_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def valued(giulia, customers):
    """A customer in giulia's book born on 20 August 1962, ring size 52.5, fond of Watches."""
    customer = customers[0]
    book_add(giulia, customer)
    customer_attributes_set(
        actor=giulia,
        customer=customer,
        values={"BIRTHDAY": "1962-08-20", "RING_SIZE": "52.5", "PREF_CATEGORY": "Watches"},
    )
    Attribute.objects.get(code="PREF_CATEGORY").choices.filter(value="Watches").update(
        label_it="Orologi", label_lt="Laikrodžiai"
    )
    return customer


def customer_page(hq, customer, language: str) -> str:
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    response = hq.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return str(response.content.decode())


def test_hq_translates_an_allowed_value_in_the_back_office(hq, legal_entity):
    """R-UX-2: the attribute's allowed values take an Italian and a Lithuanian label."""
    attribute = Attribute.objects.get(code="PREF_CATEGORY")
    choice = attribute.choices.get(value="Watches")
    index = list(attribute.choices.order_by("position", "value", "id")).index(choice)
    url = reverse("admin:attributes_attribute_change", args=[attribute.pk])

    response = submit(
        hq,
        url,
        {f"choices-{index}-label_it": "Orologi", f"choices-{index}-label_lt": "Laikrodžiai"},
    )

    assert response.status_code == 200
    choice.refresh_from_db()
    assert (choice.label_it, choice.label_lt) == ("Orologi", "Laikrodžiai")


def test_the_customer_page_shows_values_not_python(hq, valued):
    """R-UX-2: the attribute values inline and the card read as values, in English as
    written in Europe."""
    page = customer_page(hq, valued, "en")

    assert "datetime.date(" not in page
    assert "Decimal(" not in page
    assert "52.500000" not in page
    assert "20 Aug 1962" in page
    assert "52.5 mm" in page


def test_the_customer_page_shows_values_in_italian(hq, valued):
    """R-UX-2: Italian HQ reads the Italian date, the decimal comma and the Italian label."""
    page = customer_page(hq, valued, "it")

    assert "20 agosto 1962" in page
    assert "52,5 mm" in page
    assert "Orologi" in page
    assert "Watches" not in page.split('id="attribute_values-group"', 1)[-1].split("</table>")[0]


def test_the_key_vault_form_shows_its_placeholders(hq):
    """R-UX-2: "The VAULT-NAME in vault://VAULT-NAME/SECRET-NAME references", not a help text
    whose <vault-name> the browser swallowed as a tag."""
    page = hq.get(reverse("admin:insights_keyvault_add")).content.decode()

    assert "The VAULT-NAME in vault://VAULT-NAME/SECRET-NAME references." in page
    assert "<vault-name>" not in page


TAG = re.compile(r"<[A-Za-z][^>]*>")


def test_no_help_text_holds_what_a_browser_would_take_for_a_tag():
    """R-UX-2: the admin renders help texts as HTML, so angle brackets would eat the words."""
    offending = [
        f"{model._meta.label}.{field.name}: {field.help_text}"
        for model in apps.get_models()
        if model._meta.app_label not in ("admin", "auth", "contenttypes", "sessions")
        for field in [*model._meta.fields, *model._meta.many_to_many]
        if TAG.search(str(field.help_text or ""))
    ]

    assert offending == []
