"""R-SALE-3: the purchase facts on the cards (last purchase, spend and visits in 12 months,
favourite category), kept up to date with the sales and filtering like attributes."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from clienteling.clientbooks.models import Membership, StoreEntry
from clienteling.clientbooks.readmodel import purchase_facts_refresh
from clienteling.sales.services import sales_upsert
from tests.api.conftest import ApiClient, assert_error, token_for
from tests.factories import CustomerFactory, book_add
from tests.sales.conftest import row

pytestmark = pytest.mark.django_db

BOOK = "/legal-entities/ITJW/client-book"
STORE_BOOKS = "/legal-entities/ITJW/stores/MI01/client-books"


def ago(days: int) -> str:
    return (timezone.now() - dt.timedelta(days=days)).isoformat()


def sell(legal_entity, account: str, *lines: dict[str, str]) -> None:
    rows = [{**row(account=account), **line} for line in lines]
    assert sales_upsert(legal_entity=legal_entity, lines=rows) == {}


def facts(customer) -> set[tuple]:
    """The facts on every card row of the customer (its membership and store entries)."""
    columns = ("last_purchase", "spend_12m", "visits_12m", "fav_category")
    return {
        *Membership.objects.filter(customer=customer).values_list(*columns),
        *StoreEntry.objects.filter(customer=customer).values_list(*columns),
    }


@pytest.fixture
def shoppers(legal_entity, store, giulia):
    """Three customers in giulia's book: a big spender, an occasional one, one who never
    bought; and one customer in no book."""
    big, small, never, outside = (
        CustomerFactory.create(legal_entity=legal_entity, account=account)
        for account in ("IT000001", "IT000002", "IT000003", "IT000004")
    )
    book_add(giulia, big, small, never)
    return big, small, never, outside


def test_sales_arriving_update_the_cards_in_the_same_call(legal_entity, shoppers):
    """R-SALE-3: up to date as soon as sales_upsert returns, in the book and the store's view."""
    big = shoppers[0]
    assert facts(big) == {(None, Decimal("0.00"), 0, None)}

    sell(
        legal_entity,
        big.account,
        {"transaction": "A", "sold_at": ago(40), "amount": "4000.00", "category": "Watches"},
        {"transaction": "B", "sold_at": ago(3), "amount": "2500.00", "category": "Jewellery"},
    )

    local = timezone.localtime(timezone.now() - dt.timedelta(days=3)).date()
    assert facts(big) == {(local, Decimal("6500.00"), 2, "Watches")}
    assert StoreEntry.objects.filter(customer=big).exists()


def test_a_customer_added_to_a_book_brings_the_facts(legal_entity, store, giulia):
    """R-SALE-3: the card row is made with the facts of the sales already there."""
    customer = CustomerFactory.create(legal_entity=legal_entity, account="IT000042")
    sell(legal_entity, customer.account, {"sold_at": ago(10), "amount": "900.00"})

    book_add(giulia, customer)

    ((last, spend, visits, favourite),) = facts(customer)
    assert (spend, visits, favourite) == (Decimal("900.00"), 1, "Jewellery")
    assert last is not None


def test_sales_of_customers_in_no_book_touch_no_card(legal_entity, shoppers):
    """R-SALE-3: only card rows hold the facts; the others are computed when shown."""
    outside = shoppers[3]

    sell(legal_entity, outside.account, {"sold_at": ago(3), "amount": "100.00"})

    assert facts(outside) == set()


@pytest.fixture
def api(giulia):
    return ApiClient(token_for(giulia))


@pytest.fixture
def bought(legal_entity, shoppers):
    big, small, _never, _outside = shoppers
    sell(
        legal_entity,
        big.account,
        {"transaction": "A", "sold_at": ago(40), "amount": "4000.00", "category": "Watches"},
        {"transaction": "B", "sold_at": ago(20), "amount": "2500.00", "category": "Watches"},
    )
    sell(
        legal_entity,
        small.account,
        {"transaction": "C", "sold_at": ago(200), "amount": "300.00", "category": "Shoes"},
    )
    return shoppers


def accounts(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {card["account"] for card in response.json()["items"]}


def test_spent_over_5000_in_12_months(api, bought):
    """R-SALE-3: "spent over 5,000 in 12 months" is attr.SPEND_12M.min."""
    assert accounts(api.get(BOOK, {"attr.SPEND_12M.min": "5000"})) == {"IT000001"}
    assert accounts(api.get(BOOK, {"attr.SPEND_12M.max": "1000"})) == {"IT000002", "IT000003"}


def test_no_purchase_for_90_days_includes_those_who_never_bought(api, bought):
    """R-SALE-3: "no purchase for 90 days" is attr.LAST_PURCHASE.max, that day."""
    day = (timezone.localdate() - dt.timedelta(days=90)).isoformat()

    assert accounts(api.get(BOOK, {"attr.LAST_PURCHASE.max": day})) == {"IT000002", "IT000003"}
    assert accounts(api.get(BOOK, {"attr.LAST_PURCHASE.min": day})) == {"IT000001"}


def test_visits_and_favourite_category_filter_too(api, bought):
    """R-SALE-3: VISITS_12M as a number, FAV_CATEGORY as a value, on the store's view too."""
    assert accounts(api.get(BOOK, {"attr.VISITS_12M.min": "2"})) == {"IT000001"}
    assert accounts(api.get(BOOK, {"attr.FAV_CATEGORY": "Shoes"})) == {"IT000002"}
    assert accounts(api.get(STORE_BOOKS, {"attr.FAV_CATEGORY": "Watches"})) == {"IT000001"}


def test_a_purchase_fact_is_no_anniversary(api, bought):
    """R-SALE-3: 'coming up' is for birthdays; a bad value is refused as for attributes."""
    response = api.get(BOOK, {"upcoming.LAST_PURCHASE": "7"})
    assert_error(response, 422, "invalid", "upcoming.LAST_PURCHASE")
    response = api.get(BOOK, {"attr.SPEND_12M.min": "lots"})
    assert_error(response, 422, "invalid", "attr.SPEND_12M.min")


def test_the_nightly_refresh_follows_the_12_month_window(legal_entity, shoppers):
    """R-SALE-3: a year after a purchase it leaves spend and visits, with no sale arriving."""
    big = shoppers[0]
    sell(legal_entity, big.account, {"sold_at": "2025-03-10T12:00:00+01:00", "amount": "800.00"})
    rows = Membership.objects.filter(customer=big)

    # As the facts were on 9 March 2026, a day short of a year after the sale.
    purchase_facts_refresh(legal_entity=legal_entity, today=dt.date(2026, 3, 9), days=None)
    assert rows.values_list("spend_12m", "visits_12m").get() == (Decimal("800.00"), 1)

    refreshed = purchase_facts_refresh(legal_entity=legal_entity, today=dt.date(2026, 3, 10))
    assert refreshed == 1
    assert rows.values_list("spend_12m", "visits_12m", "fav_category").get() == (
        Decimal("0.00"),
        0,
        "Jewellery",  # still within 24 months
    )


def test_the_nightly_refresh_leaves_the_others_alone(legal_entity, bought):
    """R-SALE-3: only customers whose sales left a window that day are recomputed."""
    today = timezone.localdate()

    assert purchase_facts_refresh(legal_entity=legal_entity, today=today, days=1) == 0
    assert purchase_facts_refresh(legal_entity=legal_entity, today=today, days=None) == 3


def test_the_refresh_command_reports_each_legal_entity(legal_entity, other_legal_entity, bought):
    """R-SALE-3: the command a scheduler runs once a night."""
    out = io.StringIO()

    call_command("refresh_purchase_facts", "--all", stdout=out)

    assert "ITJW: purchase facts of 3 customers" in out.getvalue()
    assert "LTFA: purchase facts of 0 customers" in out.getvalue()


def test_the_filter_panel_offers_the_facts(client, giulia, bought):
    """R-SALE-3: in the store app, beside the attributes; a date range, not 'coming up'."""
    client.force_login(giulia.user)

    page = client.get(reverse("storeapp:book"), {"attr.SPEND_12M.min": "5000"}).content.decode()

    for code in ("LAST_PURCHASE", "SPEND_12M", "VISITS_12M", "FAV_CATEGORY"):
        assert f'data-attribute="{code}"' in page
    assert 'name="upcoming.LAST_PURCHASE"' not in page
    assert 'name="upcoming.BIRTHDAY"' in page
    assert 'data-account="IT000001"' in page or "IT000001" in page
    assert "IT000002" not in page


def test_a_customer_moved_to_another_book_keeps_the_facts(
    legal_entity, store, bought, manager, marco
):
    """R-SALE-3: the rows made by a reassignment copy the facts, in the store's view too."""
    from clienteling.clientbooks.services import customers_reassign

    big = bought[0]
    before = facts(big)

    customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=[big], to_worker=marco, store=store
    )

    assert Membership.objects.get(customer=big).book.owner == marco
    assert facts(big) == before and StoreEntry.objects.filter(customer=big).exists()


@pytest.fixture
def facts_on_cards(legal_entity):
    """HQ puts spend and last purchase on the cards."""
    from clienteling.clientbooks.services import clienteling_parameters_update

    clienteling_parameters_update(legal_entity=legal_entity, card_facts="LAST_PURCHASE,SPEND_12M")


def properties(card: dict) -> list[tuple[str, str, object]]:
    return [(p["code"], p["kind"], p["value"]) for p in card["properties"]]


def test_hq_puts_purchase_facts_on_the_cards_before_the_attributes(api, bought, facts_on_cards):
    """R-SALE-3: the chosen facts follow the measures and come before the attributes, with
    the card row's values; a customer who never bought shows no date and nothing spent."""
    cards = {c["account"]: c for c in api.get(BOOK).json()["items"]}

    big = properties(cards["IT000001"])
    assert big[:2] == [
        ("LAST_PURCHASE", "fact", (timezone.localdate() - dt.timedelta(days=20)).isoformat()),
        ("SPEND_12M", "fact", 6500.0),
    ]
    assert big[2][1] == "attribute" and len(big) == 3
    assert properties(cards["IT000003"])[:2] == [
        ("LAST_PURCHASE", "fact", None),
        ("SPEND_12M", "fact", 0.0),
    ]


def test_the_customer_details_show_the_same_facts(api, bought, facts_on_cards):
    """R-SALE-3: the customer's details, read from the sales, agree with the card."""
    details = api.get("/legal-entities/ITJW/customers/IT000001").json()

    assert (
        properties(details)[:2]
        == properties(next(c for c in api.get(BOOK).json()["items"] if c["account"] == "IT000001"))[
            :2
        ]
    )


def test_the_store_app_card_shows_spend_as_money(client, giulia, bought, facts_on_cards):
    """R-SALE-3: the amount in the legal entity's currency, as the reader's language writes it."""
    client.force_login(giulia.user)

    page = client.get(reverse("storeapp:book"), HTTP_ACCEPT_LANGUAGE="it").content.decode()

    assert 'data-code="SPEND_12M"' in page
    assert "6.500,00\u00a0€" in page


@pytest.mark.parametrize(
    "chosen", ["SPEND_12M,SPEND_12M", "NOPE", "LAST_PURCHASE,SPEND_12M,VISITS_12M,FAV_CATEGORY"]
)
def test_hq_cannot_choose_unknown_repeated_or_more_than_three_facts(legal_entity, chosen):
    """R-SALE-3: the service names the field; the database refuses the value too."""
    from django.db import IntegrityError, transaction

    from clienteling.clientbooks.models import ClientelingParameters
    from clienteling.clientbooks.services import clienteling_parameters_update
    from clienteling.core.errors import Invalid

    with pytest.raises(Invalid) as refused:
        clienteling_parameters_update(legal_entity=legal_entity, card_facts=chosen)
    assert refused.value.field == "card_facts"

    with pytest.raises(IntegrityError), transaction.atomic():
        ClientelingParameters.objects.filter(legal_entity=legal_entity).update(card_facts=chosen)


def test_a_card_with_the_last_purchase_as_a_property_does_not_repeat_it(
    client, giulia, bought, facts_on_cards
):
    """R-SALE-3: the footer's "last purchase" cue gives way to the property."""
    client.force_login(giulia.user)

    page = client.get(reverse("storeapp:book")).content.decode()

    assert 'data-code="LAST_PURCHASE"' in page
    assert 'class="last-purchase"' not in page
