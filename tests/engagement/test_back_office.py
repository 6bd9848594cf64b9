"""HQ's side of acting on the book (R-OUT-1, R-TASK-2): templates per language with a preview
and their placeholders checked; the demo's BIRTHDAY and NEW_COLLECTION templates."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from clienteling.demo.engagement import seed_engagement
from clienteling.engagement.models import EmailTemplate, ReminderRule
from clienteling.engagement.services import email_template_validate
from clienteling.organization.models import Worker
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client, legal_entity):
    role = Group.objects.create(name="HQ templates")
    role.permissions.set(Permission.objects.filter(content_type__app_label="engagement"))
    user = UserFactory.create(username="hq_it", is_staff=True)
    user.groups.add(role)
    Worker.objects.create(user=user).legal_entities.add(legal_entity)
    client.force_login(user)
    return client


def test_hq_writes_a_template_and_previews_it(hq, legal_entity):
    """R-OUT-1: saved through the form; the change page shows it with the placeholders filled."""
    added = hq.post(
        reverse("admin:engagement_emailtemplate_add"),
        {"legal_entity": legal_entity.pk, "code": "THANKS", "language": "it",
         "subject": "Grazie, {first_name}", "body": "Da {associate}, {store}."},
    )  # fmt: skip
    template = EmailTemplate.objects.get(code="THANKS")

    page = hq.get(reverse("admin:engagement_emailtemplate_change", args=[template.pk]))

    assert added.status_code == 302
    text = page.content.decode()
    assert "Grazie, Giulia" in text and "Da Marco Galli, Milano Montenapoleone." in text


def test_an_unknown_placeholder_is_shown_beside_the_field(hq, legal_entity):
    """R-OUT-1: the service's rule, in the form."""
    response = hq.post(
        reverse("admin:engagement_emailtemplate_add"),
        {"legal_entity": legal_entity.pk, "code": "BAD", "language": "en",
         "subject": "Hi", "body": "Hello {name}"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "body" in response.context["adminform"].form.errors
    assert not EmailTemplate.objects.exists()


def test_a_reminder_needs_a_date_attribute(hq, legal_entity):
    """R-TASK-2: a lead time is for a date attribute, 0 to 60 days."""
    from clienteling.attributes.models import Attribute

    response = hq.post(
        reverse("admin:engagement_reminderrule_add"),
        {"legal_entity": legal_entity.pk, "attribute": Attribute.objects.get(code="FAV_BRAND").pk,
         "lead_days": 7, "active": "on"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "attribute" in response.context["adminform"].form.errors
    assert not ReminderRule.objects.exists()


def test_the_demo_has_both_templates_in_three_languages(legal_entity):
    """R-OUT-1: BIRTHDAY and NEW_COLLECTION in en, it, lt, valid, made once."""
    assert seed_engagement(legal_entity) == 6
    assert seed_engagement(legal_entity) == 0

    rows = EmailTemplate.objects.filter(legal_entity=legal_entity)
    assert sorted(rows.values_list("code", "language")) == [
        (code, language)
        for code in ("BIRTHDAY", "NEW_COLLECTION")
        for language in ("en", "it", "lt")
    ]
    for template in rows:
        email_template_validate(template=template)
    assert ReminderRule.objects.get(legal_entity=legal_entity).lead_days == 14
