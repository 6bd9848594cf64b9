"""HQ's analytics settings: turning them on checks them against the service (R-CI-1, R-CI-2)."""

from __future__ import annotations

import socket

import pytest

from clienteling.core.errors import Invalid
from clienteling.insights.models import InsightsSettings, ServiceKind
from clienteling.insights.services import insights_settings_save, insights_settings_validate
from tests.conftest import CI_ENVIRONMENT
from tests.factories import CustomerFactory
from tests.insights.helpers import insights_enable, insights_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(legal_entity):
    return CustomerFactory.create(legal_entity=legal_entity, account="IT000001")


@pytest.mark.parametrize("service", [ServiceKind.DATAVERSE, ServiceKind.LEGACY])
def test_enabling_gets_a_token_and_reads_a_customers_measures(
    legal_entity, customer, fakes, service
):
    """R-CI-2: the check asks the service as the cards will, and only then is it on."""
    row = insights_enable(legal_entity, fakes, service=service)

    saved = InsightsSettings.objects.get(pk=legal_entity.pk)
    assert saved.enabled and saved.validated_at is not None and saved.problem == ""
    assert saved.measures == ["ChurnProbability", "CustomerLifetimeValue"]
    assert fakes.token_requests >= 1 and fakes.measure_requests == 1
    assert row.enabled


def test_choosing_no_measure_is_allowed(legal_entity, customer, fakes):
    """R-CI-1: none chosen is a valid setting; the card then shows attributes only."""
    insights_enable(legal_entity, fakes, measures=())

    assert InsightsSettings.objects.get(pk=legal_entity.pk).measures == []


def refused(row) -> Invalid:
    with pytest.raises(Invalid) as caught:
        insights_settings_save(row=row)
    return caught.value


def test_a_bad_secret_keeps_it_off_and_says_why(legal_entity, customer, fakes):
    """R-CI-2: Entra ID refuses the key; nothing is saved, the error names the cause."""
    fakes.vault_secret_set("wrong-secret", "not-the-key")
    error = refused(
        insights_row(legal_entity, fakes, secret_reference="vault://retail/wrong-secret")
    )

    assert (error.field, error.details["rule"]) == ("client_id", "auth")
    assert "AADSTS7000215" in str(error.message)
    assert not InsightsSettings.objects.filter(pk=legal_entity.pk).exists()


def test_a_missing_vault_secret_is_named(legal_entity, customer, fakes):
    error = refused(insights_row(legal_entity, fakes, secret_reference="vault://retail/nope"))

    assert (error.field, error.details["rule"]) == ("secret_reference", "secret")
    assert "nope" in str(error.message)


@pytest.mark.parametrize(
    ("service", "field"),
    [(ServiceKind.DATAVERSE, "service_url"), (ServiceKind.LEGACY, "environment_id")],
)
def test_an_unknown_environment_is_refused(legal_entity, customer, fakes, service, field):
    row = insights_row(legal_entity, fakes, service=service, environment_id="no-such-env")
    if service == ServiceKind.DATAVERSE:
        row.service_url = fakes.org_url("no-such-env")

    error = refused(row)

    assert (error.field, error.details["rule"]) == (field, "environment")
    assert not InsightsSettings.objects.filter(pk=legal_entity.pk).exists()


@pytest.mark.parametrize("service", [ServiceKind.DATAVERSE, ServiceKind.LEGACY])
def test_a_measure_the_service_does_not_have_is_named(legal_entity, customer, fakes, service):
    error = refused(
        insights_row(legal_entity, fakes, service=service, measures=("ChurnProbability", "Mood"))
    )

    assert error.field == "measure_2"
    assert "Mood" in str(error.message)


def test_a_wrong_alternate_customer_id_is_named(legal_entity, customer, fakes):
    error = refused(insights_row(legal_entity, fakes, alternate_customer_id="crm_account"))

    assert error.field == "alternate_customer_id"


def test_an_unreachable_service_is_refused(legal_entity, customer, fakes):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = refused(insights_row(legal_entity, fakes, service_url=f"https://127.0.0.1:{port}"))

    assert (error.field, error.details["rule"]) == ("service_url", "unavailable")
    assert "cannot be reached" in str(error.message)


def test_the_check_needs_a_customer_to_read(legal_entity, fakes):
    error = refused(insights_row(legal_entity, fakes))

    assert error.details["rule"] == "sample_customer"


def test_a_failed_change_leaves_the_working_settings_on(legal_entity, customer, fakes):
    """Nothing changes on a failed check: the integration keeps running as it was."""
    insights_enable(legal_entity, fakes)
    row = InsightsSettings.objects.get(pk=legal_entity.pk)
    row.environment_id = "changed"
    row.service_url = fakes.org_url("changed")

    refused(row)

    saved = InsightsSettings.objects.get(pk=legal_entity.pk)
    assert saved.enabled and saved.environment_id == CI_ENVIRONMENT


def test_the_database_refuses_enabled_without_a_check(legal_entity):
    """The rule is a constraint too: enabled only with a successful check on record."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        InsightsSettings.objects.create(
            legal_entity=legal_entity,
            enabled=True,
            service_url="https://x.crm.dynamics.com",
            tenant_id="t",
            client_id="c",
            secret_reference="env://X",
            environment_id="e",
            alternate_customer_id="a",
        )


def test_the_database_refuses_a_gap_in_the_measures(legal_entity):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        InsightsSettings.objects.create(
            legal_entity=legal_entity,
            service_url="https://x.crm.dynamics.com",
            tenant_id="t",
            client_id="c",
            secret_reference="env://X",
            environment_id="e",
            alternate_customer_id="a",
            measure_2="ChurnProbability",
        )


def test_validate_records_a_problem_without_turning_it_off(legal_entity, customer, fakes):
    """The back office's Validate: an enabled integration stays on (cards degrade by
    themselves) and HQ sees the problem."""
    row = insights_enable(legal_entity, fakes)
    fakes.set_mode("fail")

    problem = insights_settings_validate(row=row)

    saved = InsightsSettings.objects.get(pk=legal_entity.pk)
    assert problem and "503" in problem
    assert saved.enabled and saved.problem == problem
    fakes.set_mode("normal")
    assert insights_settings_validate(row=saved) is None
    assert InsightsSettings.objects.get(pk=legal_entity.pk).problem == ""


def test_a_key_pasted_as_the_reference_is_refused_and_never_stored(legal_entity, customer, fakes):
    """R-SEC-1: not a reference: refused, and nothing records it."""
    from clienteling.insights.models import SecretStatus

    error = refused(insights_row(legal_entity, fakes, secret_reference="hunter2-s3cret"))

    assert (error.field, error.details["rule"]) == ("secret_reference", "secret")
    assert not SecretStatus.objects.filter(reference__contains="hunter2").exists()
    assert not InsightsSettings.objects.exists()
