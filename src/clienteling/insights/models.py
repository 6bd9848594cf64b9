"""Customer analytics settings per legal entity, Key Vault connections and what is known of
each secret reference (SPEC §8). No secret value is ever stored here (R-SEC-1)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clienteling.insights.endpoints import validate_endpoint
from clienteling.organization.models import LegalEntity


class HttpsURLField(models.URLField):
    """A URL of a Microsoft endpoint: typed without a scheme, it means https://; only an
    endpoint that may receive credentials is accepted (R-SEC-1)."""

    default_validators = [*models.URLField.default_validators, validate_endpoint]

    def formfield(  # type: ignore[override]
        self, **kwargs: Any
    ) -> Any:
        return super().formfield(**{"assume_scheme": "https", **kwargs})


class KeyVault(models.Model):
    """How to open one Azure Key Vault, named as in ``vault://<name>/<secret>``. The client
    secret that opens the vault comes from an environment variable, never the database."""

    name = models.SlugField(
        _("name"),
        max_length=63,
        unique=True,
        help_text=_("The VAULT-NAME in vault://VAULT-NAME/SECRET-NAME references."),
    )
    vault_url = HttpsURLField(
        _("vault URL"), max_length=300, help_text=_("e.g. https://contoso-retail.vault.azure.net")
    )
    tenant_id = models.CharField(_("tenant (directory) id"), max_length=64)
    client_id = models.CharField(_("application (client) id"), max_length=64)
    authority_host = HttpsURLField(
        _("authority host"),
        max_length=300,
        blank=True,
        help_text=_("Microsoft Entra ID; empty means https://login.microsoftonline.com."),
    )

    class Meta:
        verbose_name = _("key vault")
        verbose_name_plural = _("key vaults")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SecretStatus(models.Model):
    """What the last look at a secret reference found: its expiry and any problem. The
    reference names the secret; its value is never kept (R-SEC-1, R-SEC-2)."""

    reference = models.CharField(_("reference"), max_length=300, unique=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    expires_on = models.DateTimeField(_("expires on"), null=True, blank=True)
    problem = models.TextField(_("problem"), blank=True)

    class Meta:
        verbose_name = _("secret reference")
        verbose_name_plural = _("secret references")
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference


class ServiceKind(models.TextChoices):
    DATAVERSE = "dataverse", _("Customer Insights - Data through the Dataverse Web API")
    LEGACY = "legacy", _("Customer Insights API v1 (older environments)")


class InsightsSettings(models.Model):
    """The analytics service of a legal entity (R-CI-1). ``enabled`` is only ever set by
    ``insights_settings_enable`` after a successful check (R-CI-2)."""

    legal_entity = models.OneToOneField(
        LegalEntity,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="insights_settings",
        verbose_name=_("legal entity"),
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    service = models.CharField(
        _("service"), max_length=20, choices=ServiceKind.choices, default=ServiceKind.DATAVERSE
    )
    service_url = HttpsURLField(
        _("service URL"),
        max_length=300,
        help_text=_(
            "Dataverse: the organization URL, e.g. https://contoso.crm.dynamics.com. "
            "Customer Insights API: https://api.ci.ai.dynamics.com."
        ),
    )
    tenant_id = models.CharField(_("tenant (directory) id"), max_length=64)
    authority_host = HttpsURLField(
        _("authority host"),
        max_length=300,
        blank=True,
        help_text=_("Microsoft Entra ID; empty means https://login.microsoftonline.com."),
    )
    client_id = models.CharField(_("application (client) id"), max_length=64)
    secret_reference = models.CharField(
        _("secret reference"),
        max_length=300,
        help_text=_(
            "Where the application's key is kept: vault://VAULT-NAME/SECRET-NAME, "
            "env://VARIABLE or file:///path. Never the key itself."
        ),
    )
    environment_id = models.CharField(_("environment (instance) id"), max_length=64)
    alternate_customer_id = models.CharField(
        _("alternate customer id"),
        max_length=120,
        help_text=_(
            "The property in the analytics service that holds the customer account number."
        ),
    )
    measure_1 = models.CharField(_("first measure"), max_length=120, blank=True)
    measure_2 = models.CharField(_("second measure"), max_length=120, blank=True)
    measure_3 = models.CharField(_("third measure"), max_length=120, blank=True)
    validated_at = models.DateTimeField(_("last validated"), null=True, blank=True)
    problem = models.TextField(_("last problem"), blank=True)

    class Meta:
        verbose_name = _("customer analytics settings")
        verbose_name_plural = _("customer analytics settings")
        ordering = ["legal_entity__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(enabled=False) | Q(validated_at__isnull=False),
                name="insights_enabled_only_validated",
            ),
            # Measures fill the places in order: no second without a first.
            models.CheckConstraint(
                condition=(Q(measure_2="") | ~Q(measure_1=""))
                & (Q(measure_3="") | ~Q(measure_2="")),
                name="insights_measures_in_order",
            ),
        ]

    def __str__(self) -> str:
        return str(self.legal_entity)

    @property
    def measures(self) -> list[str]:
        return [m for m in (self.measure_1, self.measure_2, self.measure_3) if m]
