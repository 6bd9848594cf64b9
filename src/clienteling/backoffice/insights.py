"""Back office: analytics settings per legal entity, key vaults and secret references
(R-CI-1, R-CI-2, R-SEC-1, R-SEC-2)."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clienteling.backoffice.scoping import ScopedAdmin
from clienteling.core.errors import Invalid
from clienteling.insights.models import InsightsSettings, KeyVault, SecretStatus
from clienteling.insights.provider import forget_settings
from clienteling.insights.secrets import (
    WARN_DAYS,
    SecretError,
    reference_check,
    secret_reference_validate,
)
from clienteling.insights.services import (
    insights_connection_check,
    insights_settings_save,
    insights_settings_validate,
)


def reference_cleaned(raw: str) -> str:
    """A secret reference as typed, checked for its form; a key pasted here is refused."""
    reference = raw.strip()
    try:
        reference_check(reference)
    except SecretError as error:
        raise forms.ValidationError(str(error)) from None
    return reference


class InsightsSettingsForm(forms.ModelForm):
    class Meta:
        model = InsightsSettings
        fields = (
            "legal_entity",
            "enabled",
            "service",
            "service_url",
            "environment_id",
            "tenant_id",
            "authority_host",
            "client_id",
            "secret_reference",
            "alternate_customer_id",
            "measure_1",
            "measure_2",
            "measure_3",
        )

    checked = False

    def clean_secret_reference(self) -> str:
        return reference_cleaned(self.cleaned_data["secret_reference"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("enabled") and not self.errors:
            # Turning on (or changing what is on) is checked against the service first.
            row = copy.copy(self.instance)
            for name, value in data.items():
                setattr(row, name, value)
            try:
                insights_connection_check(row=row)
            except Invalid as error:
                field = error.field if error.field in self.fields else None
                self.add_error(field, str(error.message))
            else:
                self.checked = True
        return data


@admin.register(InsightsSettings)
class InsightsSettingsAdmin(ScopedAdmin):
    legal_entity_path = "legal_entity"
    form = InsightsSettingsForm
    list_display = (
        "legal_entity",
        "enabled",
        "service",
        "measures_shown",
        "validated_at",
        "secret_expiry",
    )
    list_filter = ("enabled", "service")
    readonly_fields = ("validated_at", "problem", "secret_expiry")
    actions = ["validate"]
    fieldsets = (
        (None, {"fields": ("legal_entity", "enabled", "service", "validated_at", "problem")}),
        (
            _("Connection"),
            {
                "fields": (
                    "service_url",
                    "environment_id",
                    "tenant_id",
                    "authority_host",
                    "client_id",
                    "secret_reference",
                    "secret_expiry",
                    "alternate_customer_id",
                )
            },
        ),
        (
            _("Measures on the customer card"),
            {
                "fields": ("measure_1", "measure_2", "measure_3"),
                "description": _(
                    "Up to three measure names as the analytics service calls them, e.g. "
                    "ChurnProbability. They come first on the card, before the client book "
                    "attributes. None is allowed."
                ),
            },
        ),
    )

    @admin.display(description=_("measures"))
    def measures_shown(self, row: InsightsSettings) -> str:
        return ", ".join(row.measures) or "—"

    @admin.display(description=_("secret expires"))
    def secret_expiry(self, row: InsightsSettings) -> str:
        status = SecretStatus.objects.filter(reference=row.secret_reference).first()
        return expiry_text(status)

    def save_model(
        self, request: HttpRequest, obj: InsightsSettings, form: Any, change: bool
    ) -> None:
        insights_settings_save(row=obj, checked=getattr(form, "checked", False))

    def delete_model(self, request: HttpRequest, obj: InsightsSettings) -> None:
        legal_entity_id = obj.legal_entity_id  # the primary key: None once deleted
        super().delete_model(request, obj)
        forget_settings(legal_entity_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[InsightsSettings]) -> None:
        ids = list(queryset.values_list("legal_entity_id", flat=True))
        super().delete_queryset(request, queryset)
        for legal_entity_id in ids:
            forget_settings(legal_entity_id)

    @admin.action(description=_("Validate: get a token and read one customer's measures"))
    def validate(self, request: HttpRequest, queryset: QuerySet[InsightsSettings]) -> None:
        for row in queryset.select_related("legal_entity"):
            problem = insights_settings_validate(row=row)
            if problem:
                self.message_user(request, f"{row.legal_entity.code}: {problem}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(le)s: the analytics service answered.") % {"le": row.legal_entity.code},
                    messages.SUCCESS,
                )


def expiry_text(status: SecretStatus | None) -> str:
    if status is None or status.checked_at is None:
        return str(_("not checked yet"))
    if status.expires_on is None:
        return str(_("no expiry"))
    days = (status.expires_on - timezone.now()).days
    when = timezone.localtime(status.expires_on).strftime("%Y-%m-%d")
    if days < 0:
        return str(_("%(date)s — expired") % {"date": when})
    return str(
        ngettext("%(date)s — in %(days)d day", "%(date)s — in %(days)d days", days)
        % {"date": when, "days": days}
    )


@admin.register(KeyVault)
class KeyVaultAdmin(ScopedAdmin):
    """Key vaults serve every legal entity: a superuser's to change."""

    shared = True
    list_display = ("name", "vault_url", "client_id")
    fields = ("name", "vault_url", "tenant_id", "client_id", "authority_host")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        from django.conf import settings

        form.base_fields["client_id"].help_text = _(
            "The client secret that opens the vault is read from the environment variable "
            "%(name)s of the web processes, never from the database."
        ) % {"name": settings.KEYVAULT_CLIENT_SECRET_VARIABLE}
        return form


class SecretStatusForm(forms.ModelForm):
    class Meta:
        model = SecretStatus
        fields = ("reference",)

    def clean_reference(self) -> str:
        return reference_cleaned(self.cleaned_data["reference"])


@admin.register(SecretStatus)
class SecretStatusAdmin(ScopedAdmin):
    """Every secret reference in use, with its expiry, warned about 30 days ahead. The
    references serve every legal entity: a superuser's to change."""

    shared = True

    form = SecretStatusForm
    list_display = ("reference", "expiry", "checked_at", "problem")
    readonly_fields = ("checked_at", "expires_on", "problem")
    actions = ["validate"]

    @admin.display(description=_("expires"), ordering="expires_on")
    def expiry(self, status: SecretStatus) -> str:
        text = expiry_text(status)
        if status.expires_on and (status.expires_on - timezone.now()).days < WARN_DAYS:
            return format_html('<strong class="secret-expiring">{}</strong>', text)
        return text

    def save_model(self, request: HttpRequest, obj: SecretStatus, form: Any, change: bool) -> None:
        obj.save()
        self._validate_one(request, obj)

    def _validate_one(self, request: HttpRequest, status: SecretStatus) -> None:
        status = secret_reference_validate(status.reference)
        if status.problem:
            self.message_user(request, f"{status.reference}: {status.problem}", messages.ERROR)
        else:
            self.message_user(
                request,
                _("%(reference)s: readable; expires %(expiry)s.")
                % {"reference": status.reference, "expiry": expiry_text(status)},
                messages.SUCCESS,
            )

    @admin.action(description=_("Validate: read the secret now and record its expiry"))
    def validate(self, request: HttpRequest, queryset: QuerySet[SecretStatus]) -> None:
        for status in queryset:
            self._validate_one(request, status)
