"""R-SEC-2: a Content-Security-Policy without inline scripts on every page, pages that need
none, and nothing loaded from another site (the API docs included)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import book_add

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
EVENT_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)
EXTERNAL = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.fixture
def pages(client, giulia, customers):
    book_add(giulia, customers[0])
    client.force_login(giulia.user)
    return [
        reverse("storeapp:book"),
        reverse("storeapp:store_books"),
        reverse("storeapp:search") + "?q=a",
        reverse("storeapp:customer", args=[customers[0].account]),
        "/api/v1/docs",
    ]


def test_every_page_has_a_policy_without_inline_scripts(client, pages):
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = policy(response)
        assert directives["script-src"] == "'self'", url
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"


def test_pages_hold_no_inline_script_nor_event_handler_nor_outside_asset(client, pages):
    for url in pages:
        body = client.get(url).content.decode()
        assert not INLINE_SCRIPT.search(body), url
        assert not EVENT_HANDLER.search(body), url
        assert not EXTERNAL.search(body), url


def test_the_api_docs_load_swagger_ui_from_our_static_files(client, pages):
    body = client.get("/api/v1/docs").content.decode()

    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn" not in body


def test_the_back_office_has_the_policy_too(admin_client):
    assert policy(admin_client.get("/admin/"))["script-src"] == "'self'"
