"""A worker's access and HQ's settings are cached across requests (issue "Pages at the
floor"); whatever changes them is in force at the caller's next request (R-DIST-1), however
it is changed: a service, the admin's forms (the ORM), an m2m change of Django's auth."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from clienteling.attributes.models import Attribute
from clienteling.clientbooks.services import clienteling_parameters_update
from clienteling.core.cache import cache
from clienteling.organization.access import ACCESS
from tests.api.conftest import API, token_for
from tests.factories import ALL_OPERATIONS, CustomerFactory, StoreFactory, WorkerFactory, book_add

pytestmark = pytest.mark.django_db
BOOK = f"{API}/legal-entities/ITJW/client-book"


@pytest.fixture
def api(giulia):
    client = Client(headers={"Authorization": f"Bearer {token_for(giulia)}"})
    assert client.get(f"{API}/me").status_code == 200  # giulia's access is now cached
    return client


def test_a_store_added_is_listed_at_the_next_request(api, giulia, legal_entity):
    new = StoreFactory.create(legal_entity=legal_entity, code="MI02")
    giulia.stores.add(new)
    assert [s["code"] for s in api.get(f"{API}/me").json()["stores"]] == ["MI01", "MI02"]


def test_a_role_taken_away_is_refused_at_the_next_request(api, giulia):
    assert api.get(BOOK).status_code == 200
    giulia.user.groups.remove(*Group.objects.filter(user=giulia.user))
    assert api.get(BOOK).status_code == 403


def test_a_permission_taken_from_a_role_is_refused_at_the_next_request(api, giulia):
    assert api.get(BOOK).status_code == 200
    for role in Group.objects.filter(user=giulia.user):
        role.permissions.clear()
    assert api.get(BOOK).status_code == 403


def test_a_legal_entity_renamed_is_shown_renamed(api, legal_entity):
    legal_entity.name = "Jewels Italia S.p.A."
    legal_entity.save()
    names = [le["name"] for le in api.get(f"{API}/me").json()["legal_entities"]]
    assert names == ["Jewels Italia S.p.A."]


def test_clienteling_switched_off_is_off_at_the_next_request(api, legal_entity):
    assert api.get(BOOK).status_code == 200
    clienteling_parameters_update(legal_entity=legal_entity, enabled=False)
    assert api.get(BOOK).json()["error"]["code"] == "feature_disabled"
    assert api.get(f"{API}/me").json()["legal_entities"][0]["clienteling_enabled"] is False


def test_an_attribute_renamed_in_the_back_office_is_the_cards_new_label(api, giulia, legal_entity):
    book_add(giulia, CustomerFactory.create(legal_entity=legal_entity))
    labels = [p["label"] for p in api.get(BOOK).json()["items"][0]["properties"]]
    assert "Birthday" in labels
    birthday = Attribute.objects.get(code="BIRTHDAY")
    birthday.name = "Date of birth"
    birthday.save()  # as the admin's form saves it
    labels = [p["label"] for p in api.get(BOOK).json()["items"][0]["properties"]]
    assert "Date of birth" in labels and "Birthday" not in labels


def test_a_login_keeps_everyone_s_cached_access(marco, api, client):
    """Signing in stamps last_login; dropping every worker's access at each login would
    cost each of them a query at their next request."""
    generation = cache.get(ACCESS.key)
    assert generation
    client.force_login(marco.user)
    client.post("/login/", {"username": marco.user.username, "password": "wrong"})
    marco.user.save(update_fields=["last_login"])
    assert cache.get(ACCESS.key) == generation


def test_an_associate_joining_the_store_is_offered_in_the_store_view_at_once(
    client, manager, giulia, store
):
    """The store's associates are kept with the access; a new one shares an address book."""
    client.force_login(manager.user)
    assert 'value="giulia"' in client.get("/store-books/").content.decode()
    newcomer = WorkerFactory.create(user__username="nadia", stores=[store])
    assert 'value="nadia"' in client.get("/store-books/").content.decode()
    newcomer.address_books.clear()
    assert 'value="nadia"' not in client.get("/store-books/").content.decode()


def test_each_store_view_offers_its_own_associates(client, legal_entity, store, giulia):
    """The filter panel is kept per page and filters; the store view's lists its store's
    associates, so it is kept per store too."""
    rome = StoreFactory.create(legal_entity=legal_entity, code="RM09")
    WorkerFactory.create(user__username="romeo", stores=[rome])
    both = WorkerFactory.create(
        user__username="sara", stores=[store, rome], operations=ALL_OPERATIONS
    )
    client.force_login(both.user)

    def owners_offered(code: str) -> set[str]:
        client.post("/switch/", {"legal_entity": "ITJW", "store": code})
        page = client.get("/store-books/").content.decode()
        return {name for name in ("giulia", "romeo") if f'value="{name}"' in page}

    assert owners_offered(store.code) == {"giulia"}
    assert owners_offered("RM09") == {"romeo"}
