"""R-UX-2: a user's language is remembered for the user, on every device: chosen once in the
store app, it follows the worker to another browser; before that, the browser's language
applies."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clienteling.core.errors import Invalid
from clienteling.organization.services import worker_language_set

pytestmark = pytest.mark.django_db


def logged_in(worker, accept_language: str = "en") -> Client:
    """A browser of its own (its own cookies), logged in as the worker."""
    browser = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
    browser.force_login(worker.user)
    return browser


def page_language(browser: Client) -> str:
    response = browser.get(reverse("storeapp:book"))
    assert response.status_code == 200
    return str(response["Content-Language"])


def test_the_language_chosen_on_one_device_follows_the_worker_to_another(giulia):
    """R-UX-2: giulia picks Italian on the tablet; the desktop, whose browser asks for
    English, shows Italian after she logs in there."""
    tablet = logged_in(giulia)
    desktop = logged_in(giulia, accept_language="en")

    answer = tablet.post(reverse("set_language"), {"language": "it", "next": "/book/"})

    assert answer.status_code == 302
    assert answer["Location"] == "/book/"
    giulia.refresh_from_db()
    assert giulia.language == "it"
    assert page_language(desktop) == "it"
    assert '<html lang="it"' in desktop.get(reverse("storeapp:book")).content.decode()


def test_a_new_choice_replaces_the_old_one_everywhere(giulia):
    """R-UX-2: the latest choice wins on every device."""
    worker_language_set(worker=giulia, language="it")
    phone = logged_in(giulia)

    phone.post(reverse("set_language"), {"language": "lt"})

    assert page_language(logged_in(giulia, accept_language="it")) == "lt"


def test_without_a_choice_the_browsers_language_applies(giulia):
    """R-UX-2: a worker who never chose sees what the browser asks for."""
    assert page_language(logged_in(giulia, accept_language="lt")) == "lt"
    assert page_language(logged_in(giulia, accept_language="it")) == "it"


def test_the_browser_learns_the_workers_language_for_the_login_page(giulia):
    """R-UX-2: after logging in, the browser keeps the worker's language, so the login page
    speaks it after logging out."""
    worker_language_set(worker=giulia, language="lt")
    desktop = logged_in(giulia, accept_language="en")

    desktop.get(reverse("storeapp:book"))
    desktop.post(reverse("storeapp:logout"))  # as the page's button does; cookies stay
    login = desktop.get(reverse("storeapp:login"))

    assert desktop.cookies[settings.LANGUAGE_COOKIE_NAME].value == "lt"
    assert login["Content-Language"] == "lt"


def test_a_language_not_offered_changes_nothing_and_says_so(giulia):
    """R-UX-2: an unknown language is refused with a message, never a server error."""
    worker_language_set(worker=giulia, language="it")
    browser = logged_in(giulia)

    answer = browser.post(reverse("set_language"), {"language": "xx", "next": "/book/"})

    assert answer.status_code == 302
    giulia.refresh_from_db()
    assert giulia.language == "it"
    assert page_language(browser) == "it"


def test_the_service_refuses_a_language_the_product_does_not_offer(giulia):
    """R-UX-2: the rule is the service's; empty forgets the choice."""
    with pytest.raises(Invalid) as refused:
        worker_language_set(worker=giulia, language="de")
    assert refused.value.field == "language"

    worker_language_set(worker=giulia, language="it")
    worker_language_set(worker=giulia, language="")
    giulia.refresh_from_db()
    assert giulia.language == ""


def test_someone_not_logged_in_switches_the_language_of_this_browser_only(client):
    """R-UX-2: on the login page the choice is the browser's (nobody to remember it for)."""
    answer = client.post(reverse("set_language"), {"language": "it", "next": "/login/"})

    assert answer.status_code == 302
    assert client.get(reverse("storeapp:login"))["Content-Language"] == "it"


def test_the_language_switch_refuses_an_outside_next_address(giulia):
    """The switch sends back only to this site."""
    browser = logged_in(giulia)

    answer = browser.post(
        reverse("set_language"), {"language": "it", "next": "https://evil.example/"}
    )

    assert answer["Location"] == reverse("storeapp:home")
