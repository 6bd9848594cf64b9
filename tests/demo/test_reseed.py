"""Seeding the demo again (a second ``make run``) makes only what it never made: what users
changed since stays as they left it. And the demo's allowed values speak Italian and
Lithuanian (CONTRACT.md "Demo additions", R-UX-2)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import translation

from clienteling.attributes.models import Attribute, AttributeChoice
from clienteling.clientbooks.models import Membership
from clienteling.clientbooks.services import client_book_remove_customers
from clienteling.organization.models import Worker

pytestmark = pytest.mark.django_db


def seed() -> None:
    call_command("seed_demo", customers=60, stdout=StringIO())


def book_of(username: str) -> set[str]:
    return set(
        Membership.objects.filter(book__owner__user__username=username).values_list(
            "customer__account", flat=True
        )
    )


def test_reseeding_keeps_a_customer_the_associate_removed_out_of_the_book():
    """giulia removes a customer; the next ``make run`` does not put them back."""
    seed()
    giulia = Worker.objects.get(user__username="giulia")
    before = book_of("giulia")
    removed = Membership.objects.filter(book__owner=giulia).order_by("id").first()
    assert removed is not None
    client_book_remove_customers(
        actor=giulia, legal_entity=removed.book.legal_entity, customers=[removed.customer]
    )

    seed()

    assert book_of("giulia") == before - {removed.customer.account}


def test_reseeding_keeps_what_hq_changed_in_stores_roles_and_labels():
    """HQ took MI01 from marco, an operation from a role and retranslated a value; a second
    run leaves all three as HQ left them."""
    seed()
    marco = Worker.objects.get(user__username="marco")
    marco.stores.remove(*marco.stores.filter(code="MI01"))
    role = Group.objects.get(name="Store manager")
    dropped = role.permissions.order_by("codename").first()
    assert dropped is not None
    role.permissions.remove(dropped)
    AttributeChoice.objects.filter(attribute__code="PREF_CATEGORY", value="Shoes").update(
        label_it="Calzature"
    )

    seed()

    assert not marco.stores.filter(code="MI01").exists()
    assert not role.permissions.filter(pk=dropped.pk).exists()
    assert AttributeChoice.objects.get(value="Shoes").label_it == "Calzature"


def test_the_demo_translates_the_preferred_categories_as_the_contract_says():
    """R-UX-2, CONTRACT.md: PREF_CATEGORY's values in Italian and Lithuanian."""
    seed()
    category = Attribute.objects.get(code="PREF_CATEGORY")
    labels = {}
    for language in ("it", "lt"):
        with translation.override(language):
            labels[language] = [c.label for c in category.allowed_choices()]

    assert labels["it"] == ["Borse", "Scarpe", "Gioielli", "Orologi", "Prêt-à-porter"]
    assert labels["lt"] == ["Rankinės", "Batai", "Papuošalai", "Laikrodžiai", "Drabužiai"]


def test_a_demo_seeded_before_the_labels_gets_them_on_the_next_run():
    """R-UX-2: a demo database from before translated values gets them once."""
    seed()
    AttributeChoice.objects.filter(attribute__code="PREF_CATEGORY").update(label_it="", label_lt="")

    seed()

    assert AttributeChoice.objects.get(value="Watches").label_lt == "Laikrodžiai"
