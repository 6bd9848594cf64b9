"""Setting up the analytics integration against the fakes, through the services."""

from __future__ import annotations

from clienteling.insights.models import InsightsSettings, KeyVault, ServiceKind
from clienteling.insights.services import insights_settings_save
from tests.conftest import CI_ENVIRONMENT


def vault_for(fakes, name: str = "retail") -> KeyVault:
    vault, _ = KeyVault.objects.update_or_create(
        name=name,
        defaults={
            "vault_url": fakes.vault_url,
            "tenant_id": fakes.TENANT_ID,
            "client_id": "clienteling-vault-reader",
            "authority_host": fakes.entra_url,
        },
    )
    return vault


def insights_row(
    legal_entity,
    fakes,
    *,
    measures: tuple[str, ...] = ("ChurnProbability", "CustomerLifetimeValue"),
    service: str = ServiceKind.DATAVERSE,
    **fields,
) -> InsightsSettings:
    """Unsaved settings that would pass the check."""
    vault_for(fakes)
    padded = [*measures, "", "", ""][:3]
    values = {
        "legal_entity": legal_entity,
        "enabled": True,
        "service": service,
        "service_url": (
            fakes.org_url(CI_ENVIRONMENT)
            if service == ServiceKind.DATAVERSE
            else fakes.insights_url
        ),
        "tenant_id": fakes.TENANT_ID,
        "authority_host": fakes.entra_url,
        "client_id": "clienteling-insights",
        "secret_reference": "vault://retail/ci-client-secret",
        "environment_id": CI_ENVIRONMENT,
        "alternate_customer_id": "msdynci_alternatekey",
        "measure_1": padded[0],
        "measure_2": padded[1],
        "measure_3": padded[2],
    }
    values.update(fields)
    return InsightsSettings(**values)


def insights_enable(legal_entity, fakes, **kwargs) -> InsightsSettings:
    return insights_settings_save(row=insights_row(legal_entity, fakes, **kwargs))
