"""A customer search's rows are written in Python (storeapp/cards.py), outside the template
engine's autoescaping: every value a customer, a worker or a URL can carry comes out escaped,
and each row says whose book the customer is in and offers "Add" only where allowed."""

from __future__ import annotations

import pytest
from django.utils import translation

from clienteling.clientbooks.models import Membership
from clienteling.storeapp.cards import found_rows_html
from tests.factories import CustomerFactory, WorkerFactory, book_add

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>&\''
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;"


def test_every_value_is_escaped_and_each_book_named(legal_entity, store, giulia):
    marco = WorkerFactory.create(
        user__username="marco", user__first_name=HOSTILE, user__last_name="", stores=[store]
    )
    hostile = CustomerFactory.create(
        legal_entity=legal_entity,
        account='IT"1',
        first_name=HOSTILE,
        last_name="",
        email=HOSTILE,
        phone="+39 02 1",
    )
    mine = CustomerFactory.create(legal_entity=legal_entity, account="IT3")
    alone = CustomerFactory.create(legal_entity=legal_entity, account="IT2", email="", phone="")
    book_add(marco, hostile)
    book_add(giulia, mine)

    def books(customer):
        return list(
            Membership.objects.filter(customer=customer).select_related("book__owner__user")
        )

    html = found_rows_html(
        [(hostile, books(hostile)), (mine, books(mine)), (alone, [])],
        me=giulia.pk,
        addable={alone.pk},
        csrf_token='t"k',
        next_path='/customers/?q=<x>&all_stores="1"',
    )

    assert "<script>" not in html and "<x>" not in html
    assert 'data-account="IT&quot;1"' in html and 'href="/customers/IT%221/"' in html
    assert html.count(ESCAPED) == 3  # the name, the e-mail, marco's name
    assert f"{ESCAPED} · +39 02 1" in html
    assert '<span class="in-book mine">In your book</span>' in html
    assert f"In the book of {ESCAPED} (marco)" in html
    assert '<span class="in-book none">In no client book</span>' in html
    assert html.count("<form ") == 1 and 'action="/customers/IT2/"' in html
    assert 'value="t&quot;k"' in html
    assert 'value="/customers/?q=&lt;x&gt;&amp;all_stores=&quot;1&quot;"' in html


def test_the_rows_speak_the_readers_language(legal_entity, store, giulia):
    alone = CustomerFactory.create(legal_entity=legal_entity, account="IT2")

    with translation.override("it"):
        html = found_rows_html(
            [(alone, [])], me=giulia.pk, addable={alone.pk}, csrf_token="t", next_path="/"
        )

    assert "In no client book" not in html and "Add to my book" not in html
