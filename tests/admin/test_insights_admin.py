"""The back office of customer analytics: HQ fills the settings, turning them on checks
them against the service; secret references show their expiry and warn 30 days ahead
(R-CI-1, R-CI-2, R-SEC-1, R-SEC-2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from clienteling.insights.models import InsightsSettings, KeyVault, SecretStatus
from clienteling.insights.secrets import secret_reference_validate
from tests.admin.conftest import submit
from tests.conftest import CI_ENVIRONMENT
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:insights_insightssettings_add")


@pytest.fixture
def vault(fakes):
    return KeyVault.objects.create(
        name="retail",
        vault_url=fakes.vault_url,
        tenant_id=fakes.TENANT_ID,
        client_id="clienteling-vault-reader",
        authority_host=fakes.entra_url,
    )


def form(legal_entity, fakes, **changes):
    data = {
        "legal_entity": str(legal_entity.pk),
        "enabled": "on",
        "service": "dataverse",
        "service_url": fakes.org_url(CI_ENVIRONMENT),
        "environment_id": CI_ENVIRONMENT,
        "tenant_id": fakes.TENANT_ID,
        "authority_host": fakes.entra_url,
        "client_id": "clienteling-insights",
        "secret_reference": "vault://retail/ci-client-secret",
        "alternate_customer_id": "msdynci_alternatekey",
        "measure_1": "ChurnProbability",
        "measure_2": "NextBestAction",
        "measure_3": "",
    }
    data.update(changes)
    return data


def test_hq_turns_analytics_on_from_the_form(hq, legal_entity, vault, fakes):
    CustomerFactory.create(legal_entity=legal_entity)

    response = submit(hq, ADD, form(legal_entity, fakes))

    assert response.status_code == 200
    row = InsightsSettings.objects.get(pk=legal_entity.pk)
    assert row.enabled and row.validated_at is not None
    assert row.measures == ["ChurnProbability", "NextBestAction"]
    # The list shows the secret's expiry, read when the check resolved it.
    listing = hq.get(reverse("admin:insights_insightssettings_changelist")).content.decode()
    assert "in 89 days" in listing or "in 90 days" in listing


def test_a_failed_check_is_shown_beside_the_field_and_nothing_is_saved(
    hq, legal_entity, vault, fakes
):
    CustomerFactory.create(legal_entity=legal_entity)

    response = submit(hq, ADD, form(legal_entity, fakes, measure_2="Mood"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "The analytics service has no measure Mood." in page
    assert 'id="id_measure_2_error"' in page or "errorlist" in page
    assert not InsightsSettings.objects.filter(pk=legal_entity.pk).exists()


def test_a_plain_secret_is_refused_as_a_reference(hq, legal_entity, vault, fakes):
    response = submit(hq, ADD, form(legal_entity, fakes, secret_reference="hunter2"))

    assert "is not a secret reference" in response.content.decode()
    assert not InsightsSettings.objects.filter(pk=legal_entity.pk).exists()


def test_secret_references_show_expiry_and_the_banner_warns(hq, vault, fakes):
    fakes.vault_secret_set(
        "pos-key", "x", expires_on=dt.datetime.now(dt.UTC) + dt.timedelta(days=12)
    )
    secret_reference_validate("vault://retail/pos-key")

    index = hq.get(reverse("admin:index")).content.decode()
    listing = hq.get(reverse("admin:insights_secretstatus_changelist")).content.decode()

    assert "secret-warnings" in index and "vault://retail/pos-key" in index
    assert "secret-expiring" in listing
    assert "in 11 days" in listing or "in 12 days" in listing


def test_the_validate_action_reads_the_secret_now(hq, vault, fakes):
    fakes.vault_secret_set(
        "later", "x", expires_on=dt.datetime.now(dt.UTC) + dt.timedelta(days=200)
    )
    status = SecretStatus.objects.create(reference="vault://retail/later")

    response = hq.post(
        reverse("admin:insights_secretstatus_changelist"),
        {"action": "validate", "_selected_action": [status.pk]},
        follow=True,
    )

    status.refresh_from_db()
    assert status.checked_at is not None and status.expires_on is not None
    assert "readable" in response.content.decode()
    # Far from expiry: no banner.
    assert "secret-warnings" not in hq.get(reverse("admin:index")).content.decode()


def test_the_key_vault_form_says_where_its_client_secret_comes_from(hq):
    page = hq.get(reverse("admin:insights_keyvault_add")).content.decode()

    assert "CLIENTELING_KEYVAULT_CLIENT_SECRET" in page
    assert 'name="client_secret"' not in page


def test_the_customer_page_shows_the_card_with_measures_first(hq, legal_entity, vault, fakes):
    """R-CI-3: the back office shows the card as associates see it."""
    from tests.insights.helpers import insights_enable

    customer = CustomerFactory.create(legal_entity=legal_entity)
    insights_enable(legal_entity, fakes)

    page = hq.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    churn = page.index('data-code="ChurnProbability"')
    clv = page.index('data-code="CustomerLifetimeValue"')
    birthday = page.index('data-code="BIRTHDAY"')
    assert churn < clv < birthday
    # A probability reads as a percentage, as on the card (R-UX-2), not as a raw 0.19.
    churn_value = fakes.measures_for(customer.account)["ChurnProbability"]
    assert f">{round(Decimal(str(churn_value)) * 100)} %<" in page


def test_deleting_the_settings_takes_the_measures_off_the_cards_at_once(
    hq, legal_entity, giulia, vault, fakes
):
    from clienteling.clientbooks import selectors
    from tests.factories import book_add
    from tests.insights.helpers import insights_enable

    customer = CustomerFactory.create(legal_entity=legal_entity)
    book_add(giulia, customer)
    insights_enable(legal_entity, fakes)
    assert (
        selectors.client_book_cards(actor=giulia, legal_entity=legal_entity).properties[0][2]
        == "measure"
    )

    hq.post(
        reverse("admin:insights_insightssettings_delete", args=[legal_entity.pk]),
        {"post": "yes"},
    )

    page = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity)
    assert not InsightsSettings.objects.exists()
    assert [kind for _code, _label, kind in page.properties] == ["attribute"] * 3
