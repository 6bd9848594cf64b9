"""Authentication: bearer tokens (hash stored, expiry, revocation) and the browser session."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clienteling.api.models import ApiToken
from clienteling.api.services import (
    api_token_create,
    api_token_expire,
    api_token_revoke,
    api_token_update,
)
from tests.api.conftest import ApiClient, assert_error, token_for


def test_without_credentials_the_api_answers_401_in_the_error_shape(anonymous):
    response = anonymous.get("/me")
    assert_error(response, 401, "unauthenticated", field=None)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_401(giulia):
    assert_error(ApiClient("clt_not-a-real-token").get("/me"), 401, "unauthenticated")


def test_a_valid_token_authenticates_its_owner(giulia):
    response = ApiClient(token_for(giulia)).get("/me")
    assert response.status_code == 200
    assert response.json()["username"] == "giulia"


def test_only_the_hash_and_prefix_of_a_token_are_stored(giulia):
    issued = api_token_create(owner=giulia, name="POS")
    record = ApiToken.objects.get(pk=issued.record.pk)
    assert record.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert record.prefix == issued.token[:8]
    stored = [str(v) for v in ApiToken.objects.filter(pk=record.pk).values().get().values()]
    assert issued.token not in stored


def test_using_a_token_records_when_it_was_last_used(giulia):
    issued = api_token_create(owner=giulia)
    ApiClient(issued.token).get("/me")
    issued.record.refresh_from_db()
    assert issued.record.last_used_at is not None


def test_an_expired_token_is_401(giulia):
    issued = api_token_create(owner=giulia)
    ApiToken.objects.filter(pk=issued.record.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert_error(ApiClient(issued.token).get("/me"), 401, "unauthenticated")


def test_a_token_expired_by_hq_is_401(giulia):
    issued = api_token_create(owner=giulia)
    api_token_expire(token=issued.record)
    assert_error(ApiClient(issued.token).get("/me"), 401, "unauthenticated")


def test_a_revoked_token_is_401(giulia):
    issued = api_token_create(owner=giulia)
    assert ApiClient(issued.token).get("/me").status_code == 200
    api_token_revoke(token=issued.record)
    assert_error(ApiClient(issued.token).get("/me"), 401, "unauthenticated")


def test_a_token_of_a_deactivated_login_is_401(giulia):
    token = token_for(giulia)
    User.objects.filter(pk=giulia.user_id).update(is_active=False)
    assert_error(ApiClient(token).get("/me"), 401, "unauthenticated")


def test_a_token_with_a_future_expiry_works(giulia):
    token = token_for(giulia, expires_at=timezone.now() + dt.timedelta(days=1))
    assert ApiClient(token).get("/me").status_code == 200


def test_create_api_token_prints_a_working_token_as_the_last_line(giulia):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token",
        "giulia",
        "--name",
        "POS",
        "--expires-days",
        "30",
        stdout=out,
        stderr=err,
    )
    token = out.getvalue().strip().splitlines()[-1]
    assert ApiClient(token).get("/me").json()["username"] == "giulia"
    record = ApiToken.objects.get(prefix=token[:8])
    assert record.name == "POS"
    assert record.expires_at is not None
    assert record.expires_at > timezone.now() + dt.timedelta(days=29)


def test_create_api_token_refuses_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=io.StringIO())


def test_the_browser_session_authenticates_reads(giulia):
    client = Client()
    client.force_login(giulia.user)
    assert client.get("/api/v1/me").json()["username"] == "giulia"


def test_the_browser_session_needs_the_csrf_token_for_writes(giulia, customers):
    client = Client(enforce_csrf_checks=True)
    client.force_login(giulia.user)
    body = {"customers": [customers[0].account]}
    refused = client.post(
        "/api/v1/legal-entities/ITJW/client-book/customers", body, content_type="application/json"
    )
    error = assert_error(refused, 403, "forbidden")
    assert error["details"]["operation"] == "csrf"
    client.get(reverse("storeapp:search"))  # any page that sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/legal-entities/ITJW/client-book/customers",
        body,
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert accepted.status_code == 200, accepted.content


def test_a_login_that_is_not_a_worker_is_forbidden(db):
    user = User.objects.create_user("hq", password="x")
    client = Client()
    client.force_login(user)
    assert_error(client.get("/api/v1/me"), 403, "forbidden")


@pytest.fixture
def admin_client(db):
    admin = User.objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(admin)
    return client


def test_hq_creates_a_token_in_the_back_office_and_sees_it_once(admin_client, giulia):
    response = admin_client.post(
        reverse("admin:api_apitoken_add"),
        {"owner": giulia.pk, "name": "ERP", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    assert response.status_code == 200
    record = ApiToken.objects.get(name="ERP")
    token = response.context["token"]
    assert token.startswith(record.prefix)
    assert f'data-testid="issued-token">{token}<' in response.content.decode()
    # Shown in this response only: not in a cookie, not in the session.
    assert all(token not in morsel.value for morsel in response.cookies.values())
    assert all(token not in str(value) for value in admin_client.session.values())
    assert ApiClient(token).get("/me").json()["username"] == "giulia"
    assert token not in str(ApiToken.objects.filter(pk=record.pk).values().get())
    listing = admin_client.get(reverse("admin:api_apitoken_changelist"))
    assert record.prefix in listing.content.decode()
    assert token not in listing.content.decode()


@pytest.mark.parametrize("action", ["expire_tokens", "revoke_tokens"])
def test_hq_expires_or_revokes_tokens_from_the_list(admin_client, giulia, action):
    issued = api_token_create(owner=giulia)
    admin_client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": action, "_selected_action": [issued.record.pk]},
    )
    assert_error(ApiClient(issued.token).get("/me"), 401, "unauthenticated")


def test_an_expired_token_cannot_be_revived_in_the_back_office(admin_client, giulia):
    """Expiry is one way, like revocation: moving it later (or clearing it) is refused
    beside the field, and the token stays refused by the API."""
    token = token_for(giulia, expires_at=timezone.now() + dt.timedelta(minutes=5))
    record = ApiToken.objects.get()
    api_token_expire(token=record)
    url = reverse("admin:api_apitoken_change", args=[record.pk])
    later = timezone.localtime() + dt.timedelta(days=30)

    response = admin_client.post(
        url,
        {
            "name": "revived",
            "expires_at_0": later.strftime("%Y-%m-%d"),
            "expires_at_1": later.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 200
    assert "expires_at" in response.context["adminform"].form.errors
    expires_at = ApiToken.objects.get().expires_at
    assert expires_at is not None
    assert expires_at <= timezone.now()
    assert ApiClient(token).get("/me").status_code == 401


def test_a_tokens_expiry_can_be_brought_forward(giulia):
    issued = api_token_create(owner=giulia, expires_at=timezone.now() + dt.timedelta(days=9))
    sooner = timezone.now() + dt.timedelta(days=1)

    updated = api_token_update(token=issued.record, name="till 2", expires_at=sooner)

    assert (updated.name, updated.expires_at) == ("till 2", sooner)
