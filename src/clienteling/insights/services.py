"""Turning the analytics integration on, with its check (R-CI-1, R-CI-2)."""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clienteling.core.errors import Invalid
from clienteling.customers.models import Customer
from clienteling.insights.client import ServiceError, measures_fetch
from clienteling.insights.models import InsightsSettings, SecretStatus
from clienteling.insights.provider import connection_of, forget_settings
from clienteling.insights.secrets import (
    SecretError,
    reference_check,
    secret_reference_validate,
    secret_resolve,
)

CHECK_SECONDS = 15.0
MEASURE_FIELDS = ("measure_1", "measure_2", "measure_3")


def insights_connection_check(*, row: InsightsSettings) -> str:
    """Get a token and read one customer's measures, as the cards will. Returns the account
    read; raises Invalid naming the field at fault and why."""
    try:
        problem = secret_reference_validate(row.secret_reference).problem
    except SecretError as error:
        problem = str(error)
    if problem:
        raise Invalid(
            _("The application's key cannot be read: %(reason)s") % {"reason": problem},
            field="secret_reference",
            rule="secret",
        )
    secret = secret_resolve(row.secret_reference)  # read a moment ago: from memory
    customer = (
        Customer.objects.filter(legal_entity_id=row.legal_entity_id).order_by("account").first()
    )
    if customer is None:
        raise Invalid(
            _("%(le)s has no customers yet, so no measure can be read to check the settings.")
            % {"le": row.legal_entity.code},
            field="enabled",
            rule="sample_customer",
        )
    measures = row.measures
    try:
        found = measures_fetch(
            connection_of(row),
            secret,
            [customer.account],
            measures,
            deadline=time.monotonic() + CHECK_SECONDS,
        )
    except ServiceError as error:
        field = _field_of(error, row)
        message = str(error)
        if error.kind == "property" and field in MEASURE_FIELDS:
            message = _("The analytics service has no measure %(measure)s (%(status)s).") % {
                "measure": getattr(row, field),
                "status": error.code,
            }
        raise Invalid(message, field=field, rule=error.kind) from None
    if customer.account not in found:
        raise Invalid(
            _(
                "The analytics service has no customer whose %(property)s is %(account)s: check "
                "the alternate customer id."
            )
            % {"property": row.alternate_customer_id, "account": customer.account},
            field="alternate_customer_id",
            rule="customer_not_found",
        )
    for field_name in MEASURE_FIELDS:
        name = getattr(row, field_name)
        if name and name not in found[customer.account]:
            raise Invalid(
                _("The analytics service has no measure %(measure)s.") % {"measure": name},
                field=field_name,
                rule="measure_not_found",
            )
    return customer.account


def _field_of(error: ServiceError, row: InsightsSettings) -> str:
    if error.field is not None:
        return error.field
    if error.kind == "auth":
        return "client_id"
    if error.kind == "environment":
        return "environment_id" if row.service == "legacy" else "service_url"
    if error.kind == "property":
        for field_name in MEASURE_FIELDS:
            name = getattr(row, field_name)
            # The service's own words only pick the field; they are never shown.
            if name and f"'{name}'" in error.remote_detail:
                return field_name
        return "alternate_customer_id"
    return "service_url"


def reference_check_quiet(reference: str) -> bool:
    try:
        reference_check(reference)
    except SecretError:
        return False
    return True


@transaction.atomic
def insights_settings_save(*, row: InsightsSettings, checked: bool = False) -> InsightsSettings:
    """Save the settings. Enabled settings are checked first (unless the caller just did):
    if the check fails, Invalid is raised and nothing changes, so an integration that was
    off stays off (R-CI-2)."""
    if row.enabled:
        if not checked:
            insights_connection_check(row=row)
        row.validated_at = timezone.now()
        row.problem = ""
    row.full_clean()
    row.save()
    if reference_check_quiet(row.secret_reference):
        SecretStatus.objects.get_or_create(reference=row.secret_reference.strip())
    forget_settings(row.legal_entity_id)
    return row


def insights_settings_validate(*, row: InsightsSettings) -> str | None:
    """The back office's *Validate* action: check now and record the outcome. An enabled
    integration stays on (cards degrade by themselves); the problem is shown to HQ."""
    try:
        insights_connection_check(row=row)
    except Invalid as error:
        row.problem = str(error.message)
        row.save(update_fields=["problem"])
        return row.problem
    row.validated_at = timezone.now()
    row.problem = ""
    row.save(update_fields=["validated_at", "problem"])
    return None
