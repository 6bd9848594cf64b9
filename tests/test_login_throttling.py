"""R-SEC-2: after 5 failed logins for one username or from one address, further attempts
are refused even with the right password, in the store app and the back office, with a
message in the user's language; HQ can unlock."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STORE_LOGIN = "storeapp:login"
ADMIN_LOGIN = "admin:login"


@pytest.fixture
def giulia_login(giulia):
    giulia.user.set_password("right-password")
    giulia.user.save()
    return giulia.user


def attempt(client, url_name, username, password, address="10.0.0.1"):
    return client.post(
        reverse(url_name),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


@pytest.mark.parametrize("url_name", [STORE_LOGIN, ADMIN_LOGIN])
def test_five_wrong_passwords_lock_the_username_even_for_the_right_one(url_name, giulia_login):
    client = Client()
    for _attempt in range(4):
        assert attempt(client, url_name, "giulia", "wrong").status_code == 200
    # The fifth failure is answered with the lockout already.
    assert attempt(client, url_name, "giulia", "wrong").status_code == 429

    locked = attempt(client, url_name, "giulia", "right-password", address="10.0.0.99")

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_failures_from_one_address_lock_that_address_for_every_username(giulia_login):
    client = Client()
    for n in range(5):
        attempt(client, STORE_LOGIN, f"nobody{n}", "wrong", address="10.0.0.7")

    locked = attempt(client, STORE_LOGIN, "giulia", "right-password", address="10.0.0.7")
    elsewhere = attempt(Client(), STORE_LOGIN, "giulia", "right-password", address="10.0.0.8")

    assert locked.status_code == 429
    assert elsewhere.status_code == 302  # logged in from another address


def test_four_failures_then_the_right_password_logs_in(giulia_login):
    client = Client()
    for _attempt in range(4):
        attempt(client, STORE_LOGIN, "giulia", "wrong")

    assert attempt(client, STORE_LOGIN, "giulia", "right-password").status_code == 302


def test_the_lockout_message_is_in_the_users_language(giulia_login):
    client = Client(headers={"Accept-Language": "it"})
    for _attempt in range(5):
        attempt(client, STORE_LOGIN, "giulia", "wrong")

    locked = attempt(client, STORE_LOGIN, "giulia", "right-password")

    assert locked.status_code == 429
    assert "Troppi accessi non riusciti" in locked.content.decode()


def test_hq_unlocks_a_username(giulia_login):
    for _attempt in range(5):
        attempt(Client(), STORE_LOGIN, "giulia", "wrong", address="10.0.0.5")

    call_command("axes_reset_username", "giulia")

    assert attempt(Client(), STORE_LOGIN, "giulia", "right-password").status_code == 302


def test_a_locked_username_does_not_lock_another(giulia_login):
    other = UserFactory.create(username="marta")
    other.set_password("pw-of-marta")
    other.save()
    for n in range(5):
        attempt(Client(), STORE_LOGIN, "giulia", "wrong", address=f"10.0.1.{n}")

    assert (
        attempt(Client(), STORE_LOGIN, "marta", "pw-of-marta", address="10.0.2.1").status_code
        == 302
    )
