"""A page reads its data in its view, through one page selector; the template only places it
(DESIGN.md, docs/architecture.md). A query run while a store page renders fails here: it is
the per-card query that a lazy relation in a template would add (issue "Pages at the floor")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from clienteling.storeapp import actions, views
from tests.factories import CustomerFactory, book_add

pytestmark = pytest.mark.django_db


def no_queries(render: Callable[..., Any]) -> Callable[..., Any]:
    def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise AssertionError(f"a query while rendering a template: {sql}")

    def guarded(*args: Any, **kwargs: Any) -> Any:
        with connection.execute_wrapper(refuse):
            return render(*args, **kwargs)

    return guarded


@pytest.fixture
def guarded_templates(monkeypatch):
    for module in (views, actions):
        monkeypatch.setattr(module, "render", no_queries(module.render))
    monkeypatch.setattr(views, "render_to_string", no_queries(views.render_to_string))


@pytest.fixture
def filled(legal_entity, giulia, marco, activity_types):
    customers = CustomerFactory.create_batch(12, legal_entity=legal_entity)
    book_add(giulia, *customers[:8])
    book_add(marco, *customers[8:])
    return customers


@pytest.mark.parametrize(
    "page",
    [
        "storeapp:book",
        "storeapp:store_books",
        "storeapp:today",
        "storeapp:search",
        "customer",
        "timeline",
        "filtered",
    ],
)
def test_a_store_page_queries_nothing_while_it_renders(
    client, giulia, manager, filled, guarded_templates, page
):
    worker = manager if page == "storeapp:store_books" else giulia
    client.force_login(worker.user)
    account = filled[0].account
    url = {
        "customer": reverse("storeapp:customer", args=[account]),
        "timeline": reverse("storeapp:customer_timeline", args=[account]),
        "filtered": reverse("storeapp:book") + f"?q={filled[0].last_name}&sort=added",
        "storeapp:search": reverse("storeapp:search") + f"?q={filled[0].last_name}",
    }.get(page) or reverse(page)

    response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count("<") > 50


def test_the_guard_fails_a_render_that_queries(rf, giulia):
    """The check above can fail: a template that follows a relation to the database."""
    from django.template import engines

    template = engines["django"].from_string("{{ worker.user.groups.count }}")
    render = no_queries(lambda: template.render({"worker": giulia}, rf.get("/")))

    with pytest.raises(AssertionError, match="a query while rendering"):
        render()
