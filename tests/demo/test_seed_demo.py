"""The demo data of CONTRACT.md (seed_demo)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from clienteling.attributes.models import AttributeValue
from clienteling.clientbooks import selectors
from clienteling.clientbooks.models import ClientBook, Membership
from clienteling.customers.models import Customer
from clienteling.organization.access import granted_operations
from clienteling.organization.models import LegalEntity, Worker

pytestmark = pytest.mark.django_db


def days_until_anniversary(date: dt.date, today: dt.date) -> int:
    for year in (today.year, today.year + 1):
        try:
            upcoming = date.replace(year=year)
        except ValueError:  # 29 February is celebrated on 28 February in a common year
            upcoming = dt.date(year, 2, 28)
        if upcoming >= today:
            return (upcoming - today).days
    raise AssertionError(date)


def seed(**options: object) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The full-size demo, seeded once for this module's read-only checks."""
    with django_db_blocker.unblock():
        output = seed()
    yield output
    with django_db_blocker.unblock():
        from django.core.management import call_command as flush

        flush("flush", "--no-input")


def test_demo_has_the_two_legal_entities_and_three_stores(demo):
    assert {
        le.code: sorted(le.stores.values_list("code", flat=True))
        for le in LegalEntity.objects.all()
    } == {
        "ITJW": ["MI01", "RM01"],
        "LTFA": ["VL01"],
    }


def test_demo_has_about_two_thousand_customers_per_legal_entity(demo):
    for code in ("ITJW", "LTFA"):
        assert Customer.objects.filter(legal_entity__code=code).count() == 2000


def test_every_demo_user_logs_in_with_the_demo_password(demo):
    for username in ("giulia", "marco", "sara", "rasa", "carla", "admin", "hq_it", "paolo"):
        request = RequestFactory().post("/login/")  # login throttling counts per request
        assert authenticate(request, username=username, password="demo") is not None, username


BOOK_OPERATIONS = {
    "view_own_client_book",
    "view_store_client_books",
    "add_customer_to_client_book",
    "remove_customers_from_client_book",
    "reassign_customers",
}
ASSOCIATE = BOOK_OPERATIONS - {"reassign_customers"}


@pytest.mark.parametrize(
    ("username", "operations"),
    [
        ("giulia", ASSOCIATE),
        ("marco", ASSOCIATE - {"view_store_client_books"}),
        ("sara", BOOK_OPERATIONS),
        ("rasa", ASSOCIATE),
        ("carla", set()),
        ("paolo", ASSOCIATE - {"view_store_client_books"}),
    ],
)
def test_demo_users_hold_the_client_book_operations_of_their_role(demo, username, operations):
    worker = Worker.objects.get(user__username=username)
    assert set(granted_operations(worker)) & BOOK_OPERATIONS == operations


def test_customer_service_may_read_details_but_has_no_client_book(demo):
    carla = Worker.objects.get(user__username="carla")
    assert "read_customer_details" in granted_operations(carla)
    assert not ClientBook.objects.filter(owner=carla).exists()


def test_admin_is_a_superuser_of_both_legal_entities(demo):
    admin = Worker.objects.get(user__username="admin")
    assert admin.user.is_superuser and admin.user.is_staff
    assert set(admin.legal_entities.values_list("code", flat=True)) == {"ITJW", "LTFA"}


def test_associates_have_books_of_a_few_hundred_customers(demo):
    for username in ("giulia", "marco", "rasa"):
        size = Membership.objects.filter(book__owner__user__username=username).count()
        assert 200 <= size <= 400, (username, size)


def test_some_customers_in_giulias_book_have_a_birthday_in_the_next_fourteen_days(demo):
    giulia = Worker.objects.get(user__username="giulia")
    itjw = LegalEntity.objects.get(code="ITJW")
    card_filter = selectors.card_filter_parse(
        legal_entity=itjw, params={"upcoming.BIRTHDAY": "14", "attr.PREF_CATEGORY": "Handbags"}
    )
    page = selectors.client_book_cards(actor=giulia, legal_entity=itjw, card_filter=card_filter)
    assert page.items, "no Handbags lover with a birthday in the next 14 days"
    today = selectors.local_today(itjw)
    for card in page.items:
        birthday = next(p.value for p in card.properties if p.code == "BIRTHDAY")
        assert isinstance(birthday, dt.date)
        assert days_until_anniversary(birthday, today) <= 14


def test_the_client_book_attribute_group_is_the_contracts(demo):
    itjw = LegalEntity.objects.get(code="ITJW")
    attributes = selectors.group_attributes(selectors.parameters_for(itjw))
    assert [(a.code, a.data_type, a.can_be_refined) for a in attributes] == [
        ("BIRTHDAY", "date", True),
        ("ANNIVERSARY", "date", True),
        ("PREF_CATEGORY", "text", True),
        ("FAV_BRAND", "text", True),
        ("RING_SIZE", "decimal", False),
    ]
    categories = list(attributes[2].choices.values_list("value", flat=True))
    assert categories == ["Handbags", "Shoes", "Jewellery", "Watches", "Ready-to-wear"]


def test_seeding_again_changes_nothing(demo):
    before = (
        Customer.objects.count(),
        AttributeValue.objects.count(),
        Membership.objects.count(),
        list(Membership.objects.order_by("id").values_list("customer_id", "book_id")),
    )
    output = seed()
    assert "ITJW: 0 customers created" in output
    after = (
        Customer.objects.count(),
        AttributeValue.objects.count(),
        Membership.objects.count(),
        list(Membership.objects.order_by("id").values_list("customer_id", "book_id")),
    )
    assert after == before


def test_seed_demo_refuses_production_settings(demo, settings):
    settings.PRODUCTION = True
    before = Customer.objects.count()
    with pytest.raises(CommandError, match="production"):
        seed(customers=2100)
    assert Customer.objects.count() == before


def test_demo_has_the_four_activity_types_and_some_activities_and_notes(demo):
    from clienteling.timeline.models import Activity, ActivityType, Note

    for code in ("ITJW", "LTFA"):
        types = ActivityType.objects.filter(legal_entity__code=code).order_by("display_order")
        assert [(t.code, t.is_appointment) for t in types] == [
            ("VISIT", False),
            ("EMAIL", False),
            ("PHONE", False),
            ("APPOINTMENT", True),
        ]
        assert Activity.objects.filter(legal_entity__code=code).count() > 20
        assert Note.objects.filter(legal_entity__code=code).exists()


HQ_APPS = (
    "organization",
    "customers",
    "attributes",
    "clientbooks",
    "timeline",
    "sales",
    "insights",
    "api",
)


def test_hq_it_is_a_back_office_user_of_itjw_only_and_not_a_superuser(demo):
    hq_it = Worker.objects.select_related("user").get(user__username="hq_it")
    assert hq_it.user.is_staff and not hq_it.user.is_superuser
    assert set(hq_it.legal_entities.values_list("code", flat=True)) == {"ITJW"}
    assert not hq_it.stores.exists()


def test_hq_it_holds_every_back_office_permission(demo):
    from django.contrib.auth.models import Permission

    user = Worker.objects.select_related("user").get(user__username="hq_it").user
    product = Permission.objects.filter(content_type__app_label__in=HQ_APPS)
    assert product.exists()
    missing = [
        f"{p.content_type.app_label}.{p.codename}"
        for p in product.select_related("content_type")
        if not user.has_perm(f"{p.content_type.app_label}.{p.codename}")
    ]
    assert missing == []
    for model in ("user", "group"):
        for action in ("view", "add", "change", "delete"):
            assert user.has_perm(f"auth.{action}_{model}"), (action, model)


def test_paolo_is_an_associate_of_rm01_only_with_a_book_of_a_few_dozen(demo):
    paolo = Worker.objects.get(user__username="paolo")
    assert set(paolo.legal_entities.values_list("code", flat=True)) == {"ITJW"}
    assert set(paolo.stores.values_list("code", flat=True)) == {"RM01"}
    members = Customer.objects.filter(book_memberships__book__owner=paolo)
    assert 24 <= members.count() <= 60
    assert not members.exclude(legal_entity__code="ITJW").exists()
    assert not members.exclude(address_books__code="RM01").exists()


def test_demo_customers_have_purchases_some_in_the_last_30_days(demo):
    """R-SALE-2: the customer page, the cards and the measures have data."""
    from clienteling.sales.models import SaleLine

    today = dt.date.today()
    for code in ("ITJW", "LTFA"):
        lines = SaleLine.objects.filter(legal_entity__code=code)
        assert lines.values("customer").distinct().count() == 2000
        recent = lines.filter(sold_at__date__gte=today - dt.timedelta(days=30))
        assert recent.values("customer").distinct().count() > 100
