"""R-ERR-1: input holding NUL or another control character is refused wherever it enters,
naming the field, and changes nothing; a body over the size limit is a 413 (CONTRACT.md,
"Answers to bad input and abuse")."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from clienteling.timeline.models import Note
from tests.api.conftest import API, token_for
from tests.factories import book_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(giulia):
    return Client(headers={"Authorization": f"Bearer {token_for(giulia)}"})


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/legal-entities/ITJW/client-book?q=%00", "q"),
        ("/legal-entities/ITJW/client-book?attr.PREF_CATEGORY=Sh%01oes", "attr.PREF_CATEGORY"),
        ("/legal-entities/ITJW/customers/IT%0000001", "path"),
        ("/legal-entities/ITJW/customers?q=ab%1bcd", "q"),
    ],
)
def test_api_query_or_path_with_a_control_character_is_a_422_naming_it(api, path, field):
    response = api.get(API + path)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["field"] == field
    assert response.json()["error"]["details"]["rule"] == "control_character"


def test_api_json_body_with_nul_is_refused_and_nothing_is_written(api, customers):
    response = api.post(
        API + f"/legal-entities/ITJW/customers/{customers[0].account}/notes",
        json.dumps({"text": "VIP\x00"}),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "text"
    assert not Note.objects.exists()


def test_api_nested_json_value_is_named_by_its_path(api, customers):
    response = api.post(
        API + "/legal-entities/ITJW/client-book/customers",
        json.dumps({"customers": [customers[0].account, "IT\u0000X"]}),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "customers.1"


def test_a_lone_surrogate_is_refused(api, customers):
    response = api.post(
        API + f"/legal-entities/ITJW/customers/{customers[0].account}/notes",
        '{"text": "broken \\ud800 text"}',
        content_type="application/json",
    )

    assert response.status_code == 422


def test_tab_and_new_lines_are_kept_in_free_text(api, customers):
    response = api.post(
        API + f"/legal-entities/ITJW/customers/{customers[0].account}/notes",
        json.dumps({"text": "Line one\r\n\tLine two"}),
        content_type="application/json",
    )

    assert response.status_code == 201
    assert Note.objects.get().text == "Line one\r\n\tLine two"


def test_store_app_form_with_nul_is_a_422_naming_the_field(client, giulia, customers):
    book_add(giulia, customers[0])
    client.force_login(giulia.user)

    response = client.post(
        reverse("storeapp:customer", args=[customers[0].account]),
        {"action": "note", "text": "hello\x00"},
    )

    assert response.status_code == 422
    assert "text" in response.content.decode()
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/book/?q=%00", "/store-books/?owner=%00", "/customers/?q=%00", "/customers/IT%0000001/"],
)
def test_store_app_query_with_nul_is_a_422(client, giulia, url):
    client.force_login(giulia.user)

    assert client.get(url).status_code == 422


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(api, customers, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post(
        API + f"/legal-entities/ITJW/customers/{customers[0].account}/notes",
        json.dumps({"text": "x" * 5000}),
        content_type="application/json",
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
