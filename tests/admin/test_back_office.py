"""The HQ back office: every setup step is a form in the Django admin."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from clienteling.attributes.models import Attribute, AttributeGroup, AttributeGroupMember
from clienteling.clientbooks import services as books
from clienteling.clientbooks.models import ClientelingParameters, MembershipMode, NumberSequence
from clienteling.organization.models import LegalEntity, Worker
from clienteling.timeline import services as timeline
from tests.admin.conftest import submit

pytestmark = pytest.mark.django_db


def admin_url(model, view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def test_every_back_office_list_and_form_opens(hq, legal_entity, giulia, customers):
    """Each registered model's list, and its add form where adding is offered, render."""
    books.client_book_add_customers(
        actor=giulia, legal_entity=legal_entity, customers=customers[:1]
    )
    for model, model_admin in admin.site._registry.items():
        listing = hq.get(admin_url(model, "changelist"))
        assert listing.status_code == 200, model
        if model_admin.has_add_permission(listing.wsgi_request):
            assert hq.get(admin_url(model, "add")).status_code == 200, model
        first = model._default_manager.first()
        if first is not None:
            assert hq.get(admin_url(model, "change", first.pk)).status_code == 200, model


def test_a_worker_without_staff_rights_is_sent_to_the_login(client, giulia):
    client.force_login(giulia.user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_hq_switches_clienteling_off_and_on_for_a_legal_entity(hq, legal_entity):
    """R-FEAT-1: the switch is a checkbox on the legal entity."""
    url = admin_url(LegalEntity, "change", legal_entity.pk)
    response = submit(hq, url, {"clienteling-0-enabled": None})
    assert response.status_code == 200
    assert ClientelingParameters.objects.get(legal_entity=legal_entity).enabled is False
    submit(hq, url, {"clienteling-0-enabled": "on"})
    assert ClientelingParameters.objects.get(legal_entity=legal_entity).enabled is True


def test_exclusive_mode_is_refused_while_customers_are_shared(
    hq, legal_entity, giulia, marco, customers
):
    """R-BOOK-8: the form says why and nothing changes."""
    books.clienteling_parameters_update(
        legal_entity=legal_entity, membership_mode=MembershipMode.SHARED
    )
    for worker in (giulia, marco):
        books.client_book_add_customers(
            actor=worker, legal_entity=legal_entity, customers=customers[:1]
        )
    url = admin_url(LegalEntity, "change", legal_entity.pk)
    response = submit(hq, url, {"clienteling-0-membership_mode": MembershipMode.EXCLUSIVE})
    assert "reassign them before switching to exclusive mode" in response.content.decode()
    assert (
        ClientelingParameters.objects.get(legal_entity=legal_entity).membership_mode
        == MembershipMode.SHARED
    )


def test_a_number_sequence_with_a_bad_format_is_refused_naming_the_field(hq, legal_entity):
    """R-SEQ-1: the format has one run of '#'."""
    response = submit(
        hq,
        admin_url(NumberSequence, "add"),
        {"legal_entity": legal_entity.pk, "code": "LOYALTY", "format": "L-##-##", "next_value": 1},
    )
    page = response.content.decode()
    assert "errornote" in page and "one run of" in page
    assert not NumberSequence.objects.filter(code="LOYALTY").exists()


def test_a_number_sequence_cannot_be_moved_back(hq, legal_entity):
    """R-SEQ-2: numbers are never reused."""
    sequence = NumberSequence.objects.get(legal_entity=legal_entity)
    NumberSequence.objects.filter(pk=sequence.pk).update(next_value=10)
    response = submit(hq, admin_url(NumberSequence, "change", sequence.pk), {"next_value": 3})
    assert "never reused" in response.content.decode()
    sequence.refresh_from_db()
    assert sequence.next_value == 10


def test_hq_creates_a_refinable_list_attribute_and_it_gets_a_filter_slot(hq, legal_entity):
    """R-ATTR-1, R-ATTR-2, R-ATTR-3: type, allowed values, refinable."""
    response = submit(
        hq,
        admin_url(Attribute, "add"),
        {
            "code": "METAL",
            "name": "Preferred metal",
            "name_it": "Metallo preferito",
            "data_type": "text",
            "can_be_refined": "on",
            "choices-0-value": "Gold",
            "choices-0-position": 1,
            "choices-1-value": "Platinum",
            "choices-1-position": 2,
            "choices-TOTAL_FORMS": 2,
        },
    )
    assert response.status_code == 200
    metal = Attribute.objects.get(code="METAL")
    assert metal.allowed_value_list() == ["Gold", "Platinum"]
    assert metal.filter_slot is not None and metal.filter_slot.startswith("text_")


def test_an_attribute_no_longer_refinable_gives_up_its_slot(hq, legal_entity):
    """R-ATTR-3: the database check (slot only when refinable) holds through the admin."""
    brand = Attribute.objects.get(code="FAV_BRAND")
    assert brand.filter_slot
    submit(hq, admin_url(Attribute, "change", brand.pk), {"can_be_refined": None})
    brand.refresh_from_db()
    assert (brand.can_be_refined, brand.filter_slot) == (False, None)


def test_an_attribute_group_refuses_two_attributes_at_one_display_order(hq, legal_entity):
    """R-ATTR-5: display orders are unique in a group."""
    group = AttributeGroup.objects.get(code="CLIENTBOOK")
    ring = Attribute.objects.create(code="NECK", name="Necklace length", data_type="decimal")
    members = AttributeGroupMember.objects.filter(group=group).count()
    response = submit(
        hq,
        admin_url(AttributeGroup, "change", group.pk),
        {
            f"members-{members}-attribute": ring.pk,
            f"members-{members}-display_order": 1,
            "members-TOTAL_FORMS": members + 1,
        },
    )
    assert "errornote" in response.content.decode()
    assert not AttributeGroupMember.objects.filter(attribute=ring).exists()


def test_hq_creates_a_role_with_operations(hq):
    """R-PERM-1: a role is a group of the operations."""
    wanted = Permission.objects.filter(
        codename__in=["view_own_client_book", "add_customer_to_client_book"]
    )
    submit(
        hq,
        admin_url(Group, "add"),
        {"name": "Junior associate", "permissions": [p.pk for p in wanted]},
    )
    role = Group.objects.get(name="Junior associate")
    assert set(role.permissions.values_list("codename", flat=True)) == {
        "view_own_client_book",
        "add_customer_to_client_book",
    }


def test_the_role_form_offers_only_the_products_permissions(hq):
    page = hq.get(admin_url(Group, "add")).content.decode()
    assert "reassign_customers" in page or "reassign customers" in page.lower()
    assert "Can add session" not in page


def test_hq_sets_up_an_associate_on_the_user_page(hq, legal_entity, store):
    """R-ORG-3: user, then employer, store and address book, and a role."""
    role = Group.objects.create(name="Associates")
    submit(
        hq,
        admin_url(User, "add"),
        {"username": "lucia", "password1": "s3cret-Passw0rd", "password2": "s3cret-Passw0rd"},
    )
    user = User.objects.get(username="lucia")
    response = submit(
        hq,
        admin_url(User, "change", user.pk),
        {
            "groups": [role.pk],
            "worker-0-legal_entities": [legal_entity.pk],
            "worker-0-stores": [store.pk],
            "worker-0-address_books": [b.pk for b in store.address_books.all()],
        },
    )
    assert response.status_code == 200
    worker = Worker.objects.get(user__username="lucia")
    assert list(worker.stores.all()) == [store]
    assert list(worker.legal_entities.all()) == [legal_entity]
    assert list(user.groups.all()) == [role]


def test_a_worker_cannot_be_put_in_a_store_of_a_legal_entity_not_employing_them(
    hq, legal_entity, store, giulia
):
    """R-ORG-3: stores and address books belong to the worker's employers."""
    from tests.factories import LegalEntityFactory, StoreFactory

    other = StoreFactory.create(legal_entity=LegalEntityFactory.create(code="LTFA"), code="VL01")
    response = submit(hq, admin_url(Worker, "change", giulia.pk), {"stores": [store.pk, other.pk]})
    assert "not employed by" in response.content.decode()
    assert list(giulia.stores.all()) == [store]


def test_the_customer_page_shows_attribute_values_and_the_client_book(
    hq, legal_entity, giulia, customers
):
    """R-ATTR-4, R-BOOK-1: HQ sees a customer's values and book."""
    customer = customers[0]
    books.customer_attributes_set(
        actor=giulia, customer=customer, values={"PREF_CATEGORY": "Watches", "RING_SIZE": "52"}
    )
    (membership,) = books.client_book_add_customers(
        actor=giulia, legal_entity=legal_entity, customers=[customer]
    )
    page = hq.get(admin_url(type(customer), "change", customer.pk)).content.decode()
    assert "Watches" in page and "52 mm" in page
    assert membership.book.identifier in page


def test_editing_a_customer_in_the_back_office_updates_the_cards(
    hq, legal_entity, giulia, customers
):
    """R-BOOK-6: the card read model follows contact changes made by HQ."""
    from clienteling.clientbooks.models import Membership

    customer = customers[0]
    books.client_book_add_customers(actor=giulia, legal_entity=legal_entity, customers=[customer])
    submit(hq, admin_url(type(customer), "change", customer.pk), {"last_name": "Zanetti"})
    assert Membership.objects.get(customer=customer).sort_name.startswith("zanetti")


def test_the_activities_tab_shows_the_customers_timeline(
    hq, legal_entity, giulia, customers, activity_types
):
    """R-ACT-3: the back office's Activities tab."""
    customer = customers[0]
    timeline.activity_record(
        actor=giulia, customer=customer, type_code="PHONE", subject="Asked about a repair"
    )
    timeline.note_create(actor=giulia, customer=customer, text="Prefers mornings")
    change = hq.get(admin_url(type(customer), "change", customer.pk)).content.decode()
    tab = reverse("admin:customers_customer_activities", args=[customer.pk])
    assert tab in change
    page = hq.get(tab).content.decode()
    assert "Asked about a repair" in page and "Prefers mornings" in page
    assert page.index("Prefers mornings") < page.index("Asked about a repair")
    assert hq.get(tab, {"cursor": "not-a-cursor"}).status_code == 200


def test_hq_retires_an_activity_type_and_it_is_no_longer_offered(hq, legal_entity, activity_types):
    """R-ACT-1, R-ACT-4: retiring through the admin drops the cached list."""
    from clienteling.timeline.models import ActivityType
    from clienteling.timeline.selectors import activity_types as offered

    assert "EMAIL" in [t.code for t in offered(legal_entity=legal_entity)]
    email = activity_types["EMAIL"]
    submit(hq, admin_url(ActivityType, "change", email.pk), {"active": None})
    assert "EMAIL" not in [t.code for t in offered(legal_entity=legal_entity)]
    assert ActivityType.objects.filter(pk=email.pk).exists()


@pytest.mark.parametrize("language", ["it", "lt"])
def test_the_back_office_speaks_the_chosen_language(hq, legal_entity, activity_types, language):
    """R-I18N-1: the back office in Italian and Lithuanian, the product's own sections and
    the names HQ gave an activity type in that language included."""
    import html

    from django.conf import settings
    from django.utils import translation

    phone = activity_types["PHONE"]
    phone.name_it, phone.name_lt = "Telefonata", "Skambutis"
    phone.save()
    hq.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(language):
        section = translation.gettext("Activities and notes")
    assert section != "Activities and notes"

    index = html.unescape(hq.get(reverse("admin:index")).content.decode())
    types = html.unescape(
        hq.get(reverse("admin:timeline_activitytype_changelist")).content.decode()
    )

    assert f'lang="{language}"' in index
    assert section in index
    assert {"it": "Telefonata", "lt": "Skambutis"}[language] in types


def test_hq_ticks_the_purchase_facts_the_cards_show(hq, legal_entity):
    """R-SALE-3: tick boxes on the legal entity, stored in their order; four are refused."""
    url = admin_url(LegalEntity, "change", legal_entity.pk)

    submit(hq, url, {"clienteling-0-card_facts": ["SPEND_12M", "LAST_PURCHASE"]})
    parameters = ClientelingParameters.objects.get(legal_entity=legal_entity)
    assert parameters.card_facts == "LAST_PURCHASE,SPEND_12M"
    page = hq.get(url).content.decode()
    ticked = set(
        re.findall(r'<input [^>]*name="clienteling-0-card_facts" value="(\w+)"[^>]* checked', page)
    )
    assert ticked == {"LAST_PURCHASE", "SPEND_12M"}

    response = submit(
        hq,
        admin_url(ClientelingParameters, "change", legal_entity.pk),
        {"card_facts": ["LAST_PURCHASE", "SPEND_12M", "VISITS_12M", "FAV_CATEGORY"]},
    )
    assert "Choose at most 3 of the purchase facts" in response.content.decode()
    parameters.refresh_from_db()
    assert parameters.card_facts == "LAST_PURCHASE,SPEND_12M"


def test_hq_sets_a_workers_language_for_every_device(hq, giulia):
    """R-UX-2: the preference the store app applies at each request, set by HQ."""
    submit(hq, admin_url(Worker, "change", giulia.pk), {"language": "lt"})

    giulia.refresh_from_db()
    assert giulia.language == "lt"
