"""R-SEC-3: the back office shows an HQ user only the legal entities they work for, in every
list and on every change page; a superuser sees all. Shared rows (the attribute catalogue,
roles, key vaults, secret references) are read by HQ and changed by a superuser only.

The data: one row of every back-office model in LTFA; the HQ user works for ITJW only and
holds every back-office permission, as the demo's ``hq_it`` does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from clienteling.api.services import api_token_create
from clienteling.backoffice.organization import PRODUCT_APPS
from clienteling.backoffice.scoping import ScopedAdminMixin
from clienteling.customers.models import Customer
from clienteling.insights.models import InsightsSettings
from clienteling.jobs.models import Job
from clienteling.organization.models import LegalEntity, Worker
from clienteling.sales.services import sales_upsert
from clienteling.timeline import services as timeline
from clienteling.timeline.models import ActivityType
from tests.factories import CustomerFactory, UserFactory, book_add

pytestmark = pytest.mark.django_db

BACK_OFFICE_APPS = (*PRODUCT_APPS, "axes", "auth")
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)
# Typed as scoped for the parameter lists below; the first test checks that every admin is.
SCOPED = [a for _m, a in REGISTERED if isinstance(a, ScopedAdminMixin)]


def label(model):
    return model._meta.label_lower


@pytest.fixture
def lithuania(other_legal_entity, rasa):
    """A row of every back-office model in LTFA (what ITJW's HQ must not see)."""
    customer = CustomerFactory.create(
        legal_entity=other_legal_entity, account="LT0001", last_name="Rasaite"
    )
    book_add(rasa, customer)
    visit = ActivityType.objects.create(
        legal_entity=other_legal_entity, code="VISIT", name="Visit", display_order=1
    )
    timeline.activity_record(actor=rasa, customer=customer, type_code="VISIT", subject="Hello")
    timeline.note_create(actor=rasa, customer=customer, text="Likes amber")
    InsightsSettings.objects.create(legal_entity=other_legal_entity, enabled=False)
    api_token_create(owner=rasa, name="till")
    Job.objects.create(
        kind="import.customers", legal_entity=other_legal_entity, started_by=rasa.user
    )
    sales_upsert(
        legal_entity=other_legal_entity,
        lines=[{"transaction": "VL01-1", "line": "1", "account": "LT0001",
                "sold_at": "2026-01-10", "store": "VL01", "amount": "99.00"}],
    )  # fmt: skip
    _engagement_rows(other_legal_entity, rasa, customer)
    return {"customer": customer, "type": visit}


def _engagement_rows(legal_entity, rasa, customer):
    """Acting on the book (SPEC §18): one row of each of its back-office models in LTFA."""
    from clienteling.attributes.models import Attribute
    from clienteling.engagement import services as engagement
    from clienteling.engagement.models import EmailTemplate, EngagementParameters, ReminderRule

    EngagementParameters.objects.create(legal_entity=legal_entity)
    ReminderRule.objects.create(
        legal_entity=legal_entity, attribute=Attribute.objects.get(code="BIRTHDAY"), lead_days=7
    )
    EmailTemplate.objects.create(
        legal_entity=legal_entity, code="BIRTHDAY", language="lt", subject="Sveiki", body="Sveiki"
    )
    engagement.follow_ups_create(
        actor=rasa, legal_entity=legal_entity, customer_ids=[customer.pk], subject="Skambutis",
        due=timezone.localdate() + dt.timedelta(days=1),
    )  # fmt: skip
    store = rasa.stores.get()
    engagement.appointment_book(
        actor=rasa, customer=customer, store=store, purpose="Matavimas", duration_minutes=30,
        start=timezone.now() + dt.timedelta(days=1),
    )  # fmt: skip
    engagement.outreach_start(
        actor=rasa, legal_entity=legal_entity, template_code="BIRTHDAY", customer_ids=[customer.pk]
    )


@pytest.fixture
def hq_itjw(client, legal_entity, store, giulia):
    """HQ of ITJW only: staff, not a superuser, every back-office permission."""
    role = Group.objects.create(name="HQ administrator")
    role.permissions.set(Permission.objects.filter(content_type__app_label__in=BACK_OFFICE_APPS))
    user = UserFactory.create(username="hq_it", is_staff=True)
    user.groups.add(role)
    worker = Worker.objects.create(user=user)
    worker.legal_entities.add(legal_entity)
    client.force_login(user)
    return client


def lithuanian_rows(model_admin):
    """Every row of the admin's model that belongs to LTFA, by its declared path."""
    path = model_admin.legal_entity_path
    rows = model_admin.model._default_manager.all()
    if path == "pk":
        return rows.filter(code="LTFA")
    return rows.filter(**{f"{path}__code": "LTFA"}).distinct()


def test_every_admin_says_where_its_legal_entity_is_or_that_it_is_shared():
    undeclared = [
        label(model)
        for model, model_admin in REGISTERED
        if not isinstance(model_admin, ScopedAdminMixin)
        or (model_admin.legal_entity_path is None) == (not model_admin.shared)
    ]
    assert undeclared == []


@pytest.mark.parametrize(
    "model_admin",
    [a for a in SCOPED if a.legal_entity_path is not None],
    ids=lambda a: label(a.model),
)
def test_hq_of_one_legal_entity_sees_nothing_of_another(model_admin, hq_itjw, lithuania):
    model = model_admin.model
    foreign = list(lithuanian_rows(model_admin))
    assert foreign, f"the fixture has no LTFA row of {label(model)}"
    opts = model._meta

    listing = hq_itjw.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    assert listing.status_code == 200
    shown = {row.pk for row in listing.context["cl"].result_list}
    assert shown.isdisjoint({row.pk for row in foreign})
    assert "LTFA" not in listing.content.decode()
    for row in foreign:
        change = hq_itjw.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        )
        # Django's admin answers a row it cannot find with a redirect to the index.
        assert change.status_code == 302, (label(model), row.pk, change.status_code)


@pytest.mark.parametrize(
    "model_admin",
    [a for a in SCOPED if a.legal_entity_path is not None],
    ids=lambda a: label(a.model),
)
def test_a_superuser_sees_every_legal_entity(model_admin, client, django_user_model, lithuania):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "x"))
    opts = model_admin.model._meta
    foreign = lithuanian_rows(model_admin)

    listing = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    shown = {row.pk for row in listing.context["cl"].result_list}
    assert {row.pk for row in foreign} <= shown


@pytest.mark.parametrize(
    "model_admin", [a for a in SCOPED if a.shared], ids=lambda a: label(a.model)
)
def test_shared_rows_are_read_by_hq_and_changed_by_a_superuser_only(model_admin, hq_itjw):
    opts = model_admin.model._meta

    listing = hq_itjw.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    adding = hq_itjw.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))

    assert listing.status_code == 200
    assert adding.status_code == 403


def test_choices_in_forms_are_of_the_users_legal_entities(hq_itjw, legal_entity, lithuania):
    page = hq_itjw.get(reverse("admin:organization_worker_add")).content.decode()

    assert "ITJW" in page
    assert "LTFA" not in page
    assert "VL01" not in page


def test_hq_cannot_post_a_store_of_another_legal_entity(hq_itjw, legal_entity, other_store):
    response = hq_itjw.post(
        reverse("admin:organization_store_add"),
        {"legal_entity": other_store.legal_entity_id, "code": "XX01", "name": "Sneaky"},
    )

    assert response.status_code == 200  # the form again, with the error
    assert "legal_entity" in response.context["adminform"].form.errors
    assert not LegalEntity.objects.get(code="LTFA").stores.filter(code="XX01").exists()


def test_a_worker_also_employed_elsewhere_is_read_only_for_hq_of_one(
    hq_itjw, legal_entity, other_legal_entity, giulia
):
    giulia.legal_entities.add(other_legal_entity)
    url = reverse("admin:organization_worker_change", args=[giulia.pk])

    page = hq_itjw.get(url)
    posted = hq_itjw.post(url, {"user": giulia.user_id, "legal_entities": [legal_entity.pk]})

    assert page.status_code == 200
    assert 'name="legal_entities"' not in page.content.decode()
    assert posted.status_code == 403
    assert set(giulia.legal_entities.values_list("code", flat=True)) == {"ITJW", "LTFA"}


def test_hq_cannot_make_a_superuser(hq_itjw, giulia):
    url = reverse("admin:auth_user_change", args=[giulia.user_id])

    page = hq_itjw.get(url).content.decode()

    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page


def test_the_activities_tab_of_another_legal_entitys_customer_is_not_found(hq_itjw, lithuania):
    customer = Customer.objects.get(account="LT0001")
    response = hq_itjw.get(reverse("admin:customers_customer_activities", args=[customer.pk]))

    assert response.status_code == 404


def test_an_expired_token_of_another_legal_entity_cannot_be_revived(hq_itjw, rasa, lithuania):
    issued = api_token_create(owner=rasa, name="old")
    issued.record.expires_at = timezone.now() - dt.timedelta(days=1)
    issued.record.save()

    response = hq_itjw.get(reverse("admin:api_apitoken_change", args=[issued.record.pk]))

    assert response.status_code == 302
