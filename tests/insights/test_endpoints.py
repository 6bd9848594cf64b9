"""R-SEC-1: secrets and credentials go only to https endpoints of Microsoft or hosts the
operator allows; nothing an outside service answers is shown or stored verbatim."""

from __future__ import annotations

import socket
import threading

import pytest
from django.urls import reverse

from clienteling.core.errors import Invalid
from clienteling.insights.endpoints import endpoint_problem
from clienteling.insights.models import InsightsSettings, KeyVault
from clienteling.insights.secrets import SecretError, secret_resolve
from clienteling.insights.services import insights_settings_save, insights_settings_validate
from tests.factories import CustomerFactory
from tests.insights.helpers import insights_enable, insights_row

pytestmark = pytest.mark.django_db


class Listener:
    """A TCP port on loopback that counts who connects (a stranger's 'token endpoint')."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _address = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def stranger():
    listener = Listener()
    yield listener
    listener.close()


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://login.microsoftonline.com/tenant/oauth2/v2.0/token", True),
        ("https://contoso.vault.azure.net", True),
        ("https://contoso.crm4.dynamics.com", True),
        ("https://api.ci.ai.dynamics.com", True),
        ("http://login.microsoftonline.com", False),
        ("https://login.microsoftonline.com.evil.example", False),
        ("https://evildynamics.com", False),
        ("https://127.0.0.1:8443", False),
        ("ftp://contoso.vault.azure.net", False),
    ],
)
def test_only_https_microsoft_endpoints_are_allowed_by_default(url, allowed, settings):
    settings.CLIENTELING_ALLOWED_HOSTS_EXTRA = []
    assert (endpoint_problem(url) is None) is allowed


def test_the_operator_can_allow_a_host_or_one_port_of_it(settings):
    settings.CLIENTELING_ALLOWED_HOSTS_EXTRA = ["fake.local", "127.0.0.1:8443"]
    assert endpoint_problem("https://fake.local:9999/x") is None
    assert endpoint_problem("https://127.0.0.1:8443/x") is None
    assert endpoint_problem("https://127.0.0.1:8444/x") is not None
    assert endpoint_problem("http://fake.local/x") is not None


def test_the_key_is_never_posted_to_an_authority_that_is_not_allowed(
    legal_entity, fakes, stranger, settings
):
    CustomerFactory.create(legal_entity=legal_entity)
    row = insights_row(legal_entity, fakes, authority_host=f"https://127.0.0.1:{stranger.port}")
    # Only the fakes' own ports are allowed now: the stranger's is not.
    settings.CLIENTELING_ALLOWED_HOSTS_EXTRA = [
        url.removeprefix("https://").split("/")[0]
        for url in (fakes.entra_url, fakes.vault_url, row.service_url)
    ]

    with pytest.raises(Invalid) as error:
        insights_settings_save(row=row)

    assert error.value.field == "authority_host"
    assert stranger.connections == 0
    assert not InsightsSettings.objects.exists()


def test_a_key_vault_with_a_plain_http_authority_is_refused_not_a_server_error(fakes, settings):
    KeyVault.objects.create(
        name="plain",
        vault_url=fakes.vault_url,
        tenant_id=fakes.TENANT_ID,
        client_id="clienteling-vault-reader",
        authority_host="http://127.0.0.1:1",
    )

    with pytest.raises(SecretError, match="https"):
        secret_resolve("vault://plain/ci-client-secret", fresh=True)


def test_the_back_office_refuses_an_endpoint_that_is_not_allowed(admin_client, settings):
    settings.CLIENTELING_ALLOWED_HOSTS_EXTRA = []

    response = admin_client.post(
        reverse("admin:insights_keyvault_add"),
        {
            "name": "mine",
            "vault_url": "https://collector.example.org",
            "tenant_id": "t",
            "client_id": "c",
            "authority_host": "http://login.microsoftonline.com",
        },
    )

    errors = response.context["adminform"].form.errors
    assert set(errors) == {"vault_url", "authority_host"}
    assert not KeyVault.objects.exists()


def test_an_answer_of_entra_id_is_shown_by_its_codes_only(legal_entity, fakes):
    """The fake answers as Entra ID does, with a sentence that could echo anything: only the
    status and the codes reach the message and the stored problem."""
    CustomerFactory.create(legal_entity=legal_entity)
    fakes.vault_secret_set("wrong-secret", "not-the-key")
    row = insights_row(legal_entity, fakes, secret_reference="vault://retail/wrong-secret")

    with pytest.raises(Invalid) as error:
        insights_settings_save(row=row)

    message = str(error.value.message)
    assert "HTTP 401 invalid_client AADSTS7000215" in message
    assert "Invalid client secret" not in message

    insights_enable(legal_entity, fakes)
    saved = InsightsSettings.objects.get()
    saved.secret_reference = "vault://retail/wrong-secret"
    saved.save()
    problem = insights_settings_validate(row=saved)
    assert problem is not None
    assert "AADSTS7000215" in problem
    assert "Invalid client secret" not in InsightsSettings.objects.get().problem
