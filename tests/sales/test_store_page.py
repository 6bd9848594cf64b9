"""R-SALE-2 in the store app: the summary and the history on the customer's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clienteling.sales.services import sales_upsert
from tests.sales.conftest import row

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, giulia, buyer):
    client.force_login(giulia.user)
    return reverse("storeapp:customer", args=[buyer.account])


def days_ago(days: int) -> str:
    return (timezone.now() - dt.timedelta(days=days)).isoformat()


def rows_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-transaction="([^"]+)" data-line="(\d+)"', html)


def test_the_customer_page_shows_the_summary_and_the_history(client, page, legal_entity):
    """R-SALE-2: last purchase, visits, spend, lifetime, favourite category; newest first."""
    sales_upsert(
        legal_entity=legal_entity,
        lines=[
            row(transaction="OLD", sold_at=days_ago(400), amount="500.00", category="Shoes"),
            row(transaction="NEW", sold_at=days_ago(3), amount="1850.00"),
            row(transaction="WEB", sold_at=days_ago(1), store="", amount="99.90",
                category="Handbags", product_name="Canvas tote"),
        ],
    )  # fmt: skip

    html = client.get(page).content.decode()

    assert 'data-testid="purchase-summary"' in html
    assert re.search(r'data-fact="visits_12m">2<', html)
    assert "€1,949.90" in html  # spend in 12 months: 1850.00 + 99.90
    assert "€2,449.90" in html  # lifetime
    assert re.search(r'data-fact="favourite_category">Jewellery<', html)
    assert [t for t, _line in rows_of(html)] == ["WEB", "NEW", "OLD"]
    assert "Online" in html and "Canvas tote" in html
    assert "other currenc" not in html


def test_amounts_are_written_as_in_the_users_language(client, page, legal_entity):
    """R-SALE-2, R-I18N: Italian puts the euro after the number, with its separators."""
    sales_upsert(legal_entity=legal_entity, lines=[row(sold_at=days_ago(3), amount="1850.00")])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "it"

    html = client.get(page).content.decode()

    assert "1.850,00\u00a0€" in html
    assert "Acquisti" in html  # the section's heading, translated


def test_lines_in_other_currencies_are_said_to_be_left_out(client, page, legal_entity):
    """R-SALE-2: "N lines in other currencies are not counted" when there are some."""
    sales_upsert(
        legal_entity=legal_entity,
        lines=[
            row(line="1", sold_at=days_ago(3), amount="300.00", currency="USD"),
            row(line="2", sold_at=days_ago(3), amount="200.00", currency="CHF"),
        ],
    )

    html = client.get(page).content.decode()

    assert "2 lines in other currencies are not counted." in html
    assert "$300.00" in html and "200.00\u00a0CHF" in html


def test_a_long_history_shows_more_on_request(client, page, legal_entity, buyer):
    """R-SALE-2: paged like the timeline; "Show more" brings the next page in place."""
    sales_upsert(
        legal_entity=legal_entity,
        lines=[
            row(transaction=f"T{n:03d}", sold_at=days_ago(n + 1), amount="10.00") for n in range(60)
        ],
    )

    html = client.get(page).content.decode()
    shown = rows_of(html)
    more = re.search(r'hx-get="([^"]+purchases/\?cursor=[^"]+)"', html)

    assert len(shown) == 50 and shown[0][0] == "T000"
    assert more is not None
    rest = client.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert rest.status_code == 200
    assert "<html" not in rest.content.decode()
    assert [t for t, _line in rows_of(rest.content.decode())] == [
        f"T{n:03d}" for n in range(50, 60)
    ]
    assert "Show more" not in rest.content.decode()
    # Without htmx the same page is a page of its own.
    full = client.get(more.group(1).replace("&amp;", "&")).content.decode()
    assert "<html" in full and len(rows_of(full)) == 10


def test_a_customer_without_purchases_says_so(client, page):
    """R-SALE-2: an empty history is said, not left blank."""
    html = client.get(page).content.decode()

    assert "No purchases recorded yet." in html
    assert re.search(r'data-fact="last_purchase">—<', html)


def test_another_legal_entitys_customer_has_no_purchase_page(client, rasa, buyer):
    """R-SALE-2, R-ORG-1: rasa (LTFA) finds no such customer."""
    client.force_login(rasa.user)

    response = client.get(reverse("storeapp:customer_purchases", args=[buyer.account]))

    assert response.status_code == 404


def test_the_page_costs_the_same_queries_whatever_the_history(
    client, page, legal_entity, django_assert_max_num_queries
):
    """R-SALE-2: the summary is two aggregates and the history one page, for 1 line or 300."""
    sales_upsert(legal_entity=legal_entity, lines=[row(sold_at=days_ago(2), amount="10.00")])
    client.get(page)

    with CaptureQueriesContext(connection) as one:
        client.get(page)
    sales_upsert(
        legal_entity=legal_entity,
        lines=[
            row(transaction=f"T{n:03d}", sold_at=days_ago(n % 700 + 1), amount="10.00")
            for n in range(300)
        ],
    )

    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(page)
