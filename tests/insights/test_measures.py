"""Measures first on the card, one batched request a page, and a service that is slow,
throttling or down never slows or breaks the client book (R-CI-3, R-CI-4, R-BOOK-6)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from clienteling.clientbooks import selectors
from clienteling.insights import provider
from clienteling.insights.models import InsightsSettings
from tests.factories import CustomerFactory, book_add
from tests.insights.helpers import insights_enable

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(legal_entity, giulia, fakes):
    customers = CustomerFactory.create_batch(60, legal_entity=legal_entity)
    book_add(giulia, *customers)
    insights_enable(legal_entity, fakes)
    fakes.reset_counts()
    return customers


def page(giulia, legal_entity, limit=50):
    return selectors.client_book_cards(actor=giulia, legal_entity=legal_entity, limit=limit)


def timed_page(giulia, legal_entity):
    started = time.monotonic()
    result = page(giulia, legal_entity)
    return result, time.monotonic() - started


def test_cards_show_the_two_measures_then_the_first_attribute(legal_entity, giulia, book, fakes):
    """R-CI-3 / R-BOOK-6: the chosen measures first, then display order 1, three in all."""
    cards = page(giulia, legal_entity).items

    card = cards[0]
    assert [(p.code, p.kind) for p in card.properties] == [
        ("ChurnProbability", "measure"),
        ("CustomerLifetimeValue", "measure"),
        ("BIRTHDAY", "attribute"),
    ]
    assert [p.label for p in card.properties[:2]] == [
        "Churn probability",
        "Customer lifetime value",
    ]
    expected = fakes.measures_for(card.account)
    assert [p.value for p in card.properties[:2]] == [
        expected["ChurnProbability"],
        expected["CustomerLifetimeValue"],
    ]
    assert all(p.available for p in card.properties)


def test_a_page_of_fifty_cards_makes_exactly_one_measures_request(
    legal_entity, giulia, book, fakes
):
    page(giulia, legal_entity)

    assert fakes.measure_requests == 1


def test_fresh_values_are_not_asked_for_again(legal_entity, giulia, book, fakes):
    page(giulia, legal_entity)
    page(giulia, legal_entity)

    assert fakes.measure_requests == 1


def test_a_slow_service_does_not_slow_the_page(legal_entity, giulia, book, fakes, settings):
    """R-CI-4: 5 s slow: the page waits its budget only and says "unavailable"."""
    _, normal = timed_page(giulia, legal_entity)
    other = CustomerFactory.create_batch(50, legal_entity=legal_entity)
    book_add(giulia, *other)
    fakes.set_mode("slow", delay=5)

    result, slow = timed_page(giulia, legal_entity)

    assert slow < settings.INSIGHTS_TIME_BUDGET + normal + 0.5
    new = {c.account for c in other}
    unseen = [card for card in result.items if card.account in new]
    assert unseen
    assert all(not p.available and p.value is None for c in unseen for p in c.properties[:2])
    assert all(c.properties[2].available for c in unseen)  # attributes are never unavailable


def test_a_failing_service_shows_the_last_known_value_and_its_age(
    legal_entity, giulia, book, fakes, settings
):
    """R-CI-4: down: the page still renders, each measure unavailable with its last value."""
    first = page(giulia, legal_entity).items[0]
    settings.INSIGHTS_FRESH_SECONDS = 0  # everything is due for a refresh
    fakes.set_mode("fail")

    result, took = timed_page(giulia, legal_entity)

    card = next(c for c in result.items if c.account == first.account)
    churn = card.properties[0]
    assert not churn.available
    assert churn.value == first.properties[0].value
    assert churn.as_of is not None
    assert took < settings.INSIGHTS_TIME_BUDGET + 0.5


def test_retry_after_is_honoured(legal_entity, giulia, book, fakes, settings):
    """A 429 with Retry-After: 1 is waited out when it fits, then the retry succeeds."""
    settings.INSIGHTS_TIME_BUDGET = 3.0
    fakes.set_mode("throttle", retry_after=1, times=1)

    result, took = timed_page(giulia, legal_entity)

    assert fakes.measure_requests == 2
    assert took >= 1.0
    assert all(p.available for p in result.items[0].properties)


def test_retry_after_longer_than_the_budget_stops_asking_until_then(
    legal_entity, giulia, book, fakes, settings
):
    settings.INSIGHTS_FRESH_SECONDS = 0
    fakes.set_mode("throttle", retry_after=30)

    result, took = timed_page(giulia, legal_entity)
    provider.drain()
    page(giulia, legal_entity)

    assert took < settings.INSIGHTS_TIME_BUDGET + 0.5
    assert not result.items[0].properties[0].available
    assert fakes.measure_requests == 1  # the second page did not ask before Retry-After
    assert provider.breaker_state(legal_entity.pk)["open_until"] > time.time() + 20


def test_the_circuit_opens_after_repeated_failures_and_closes_on_success(
    legal_entity, giulia, book, fakes, settings, monkeypatch
):
    settings.INSIGHTS_FRESH_SECONDS = 0
    fakes.set_mode("fail")
    for _ in range(provider.BREAKER_FAILURES):
        page(giulia, legal_entity)
        provider.drain()
    asked = fakes.measure_requests

    page(giulia, legal_entity)  # open: not asked
    assert fakes.measure_requests == asked

    # After the open period one trial request goes through; its success closes the circuit.
    state = provider.breaker_state(legal_entity.pk)
    state["open_until"] = time.time() - 1
    from django.core.cache import cache

    cache.set(provider._breaker_key(legal_entity.pk), state)
    fakes.set_mode("normal")
    result = page(giulia, legal_entity)
    assert fakes.measure_requests == asked + 1
    assert result.items[0].properties[0].available
    assert provider.breaker_state(legal_entity.pk)["failures"] == 0


def test_turning_it_off_removes_the_measures_at_the_next_request(legal_entity, giulia, book, fakes):
    page(giulia, legal_entity)
    row = InsightsSettings.objects.get(pk=legal_entity.pk)
    row.enabled = False
    from clienteling.insights.services import insights_settings_save

    insights_settings_save(row=row)

    card = page(giulia, legal_entity).items[0]
    assert [p.code for p in card.properties] == ["BIRTHDAY", "ANNIVERSARY", "PREF_CATEGORY"]


def test_the_api_card_carries_the_measures_first(legal_entity, giulia, book, fakes, client):
    client.force_login(giulia.user)

    response = client.get("/api/v1/legal-entities/ITJW/client-book?limit=5")

    assert response.status_code == 200
    card = response.json()["items"][0]
    assert [(p["code"], p["kind"], p["available"]) for p in card["properties"]] == [
        ("ChurnProbability", "measure", True),
        ("CustomerLifetimeValue", "measure", True),
        ("BIRTHDAY", "attribute", True),
    ]
    assert card["properties"][0]["value"] == fakes.measures_for(card["account"])["ChurnProbability"]


def test_the_token_is_reused_until_shortly_before_it_expires(legal_entity, giulia, book, fakes):
    """One token from Entra ID serves many pages; the next page with other customers only
    asks for their measures."""
    from clienteling.insights import client

    client.forget_tokens()
    fakes.reset_counts()
    first = page(giulia, legal_entity, limit=10)
    selectors.client_book_cards(
        actor=giulia, legal_entity=legal_entity, limit=10, cursor=first.next_cursor
    )

    assert fakes.token_requests == 1
    assert fakes.measure_requests == 2


def test_a_token_close_to_expiry_is_renewed(legal_entity, giulia, book, fakes, monkeypatch):
    from clienteling.insights import client

    client.forget_tokens()
    fakes.reset_counts()
    page(giulia, legal_entity, limit=10)
    # Five minutes before expiry counts as expired.
    monkeypatch.setattr(client, "TOKEN_MARGIN", 3600)
    cache.clear()  # the measures are due again
    page(giulia, legal_entity, limit=10)

    assert fakes.token_requests == 2


def test_odata_pages_are_followed(legal_entity, giulia, book, fakes, monkeypatch):
    """The service pages its answer (@odata.nextLink): every page of it is read."""
    from clienteling.insights import client

    monkeypatch.setattr(client, "PAGE_SIZE", 20)

    cards = page(giulia, legal_entity).items

    assert fakes.measure_requests == 3  # 20 + 20 + 10 rows
    assert all(card.properties[0].available for card in cards)
    assert all(card.properties[0].value is not None for card in cards)


def test_the_store_app_shows_a_probability_as_a_percentage(
    legal_entity, giulia, book, fakes, client
):
    """The card reads "Churn probability 19 %"; the API keeps the service's 0.19."""
    import re

    client.force_login(giulia.user)

    html = client.get("/book/").content.decode()

    churn = re.search(
        r'data-account="(?P<account>[^"]+)".*?data-code="ChurnProbability"><dt>Churn probability'
        r'</dt><dd data-value="(?P<raw>[^"]*)">(?P<shown>[^<]*)</dd>',
        html,
        re.S,
    )
    assert churn is not None
    value = fakes.measures_for(churn["account"])["ChurnProbability"]
    assert float(churn["raw"]) == pytest.approx(value)
    assert churn["shown"] == f"{round(value * 100)} %"


@pytest.mark.parametrize(
    ("value", "shown"), [(0.19, "19 %"), (0.195, "20 %"), (0.999, "100 %"), (0, "0 %")]
)
def test_percentages_round_half_up(value, shown):
    from types import SimpleNamespace

    from clienteling.storeapp.templatetags.storeapp import display_property

    assert display_property(SimpleNamespace(data_type="percent", value=value, unit="")) == shown
