"""What acting on the book writes on a customer's timeline: activities of the product's own
types (a follow-up done or reopened, an outreach message, the purchase that followed it, an
e-mail consent withdrawn). HQ does not offer these types to associates, so they are made
retired, the first time a legal entity needs one; retired types keep showing their history
(R-ACT-1), and HQ may translate their names like any other type."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db import IntegrityError, transaction

from clienteling.clientbooks import readmodel
from clienteling.customers.models import Customer
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.timeline import caching
from clienteling.timeline.models import Activity, ActivityType

SystemType = Literal[
    "FOLLOWUP_DONE",
    "FOLLOWUP_REOPENED",
    "OUTREACH_EMAIL",
    "OUTREACH_SMS",
    "OUTREACH_OUTCOME",
    "EMAIL_OPT_OUT",
    "BOOKED_APPOINTMENT",
    "APPT_CANCELLED",
]
# code: (English, Italian, Lithuanian, is an appointment)
SYSTEM_TYPES: dict[str, tuple[str, str, str, bool]] = {
    "FOLLOWUP_DONE": ("Follow-up done", "Follow-up completato", "Priminimas atliktas", False),
    "FOLLOWUP_REOPENED": (
        "Follow-up reopened",
        "Follow-up riaperto",
        "Priminimas vėl atidarytas",
        False,
    ),
    "OUTREACH_EMAIL": ("Outreach e-mail", "E-mail ai clienti", "Laiškas klientui", False),
    "OUTREACH_SMS": ("Outreach text message", "SMS ai clienti", "SMS klientui", False),
    "OUTREACH_OUTCOME": (
        "Purchase after outreach",
        "Acquisto dopo il contatto",
        "Pirkimas po laiško",
        False,
    ),
    "EMAIL_OPT_OUT": (
        "E-mail consent withdrawn",
        "Consenso e-mail revocato",
        "El. laiškų sutikimas atšauktas",
        False,
    ),
    "BOOKED_APPOINTMENT": ("Appointment", "Appuntamento", "Susitikimas", True),
    "APPT_CANCELLED": (
        "Appointment cancelled",
        "Appuntamento annullato",
        "Susitikimas atšauktas",
        False,
    ),
}


def system_type(legal_entity: LegalEntity, code: SystemType) -> ActivityType:
    """The legal entity's activity type ``code``, made (retired) on first use."""
    found = ActivityType.objects.filter(legal_entity=legal_entity, code=code).first()
    if found is not None:
        return found
    en, it, lt, appointment = SYSTEM_TYPES[code]
    try:
        with transaction.atomic():
            made = ActivityType.objects.create(
                legal_entity=legal_entity,
                code=code,
                name=en,
                name_it=it,
                name_lt=lt,
                is_appointment=appointment,
                active=False,
                display_order=900,
            )
    except IntegrityError:  # made by a concurrent request a moment ago
        return ActivityType.objects.get(legal_entity=legal_entity, code=code)
    transaction.on_commit(lambda: caching.forget_activity_types(legal_entity.pk))
    return made


def appointment_type(legal_entity: LegalEntity) -> ActivityType:
    """The type a booked appointment is recorded with: HQ's first active appointment type
    (the demo's APPOINTMENT), so booked and recorded appointments share their history."""
    found = (
        ActivityType.objects.filter(legal_entity=legal_entity, is_appointment=True, active=True)
        .order_by("display_order", "code")
        .first()
    )
    return found or system_type(legal_entity, "BOOKED_APPOINTMENT")


def entry_record(
    *,
    legal_entity: LegalEntity,
    customer: Customer,
    code: SystemType,
    subject: str,
    author: Worker,
    occurred_at: dt.datetime,
    description: str = "",
    store: Store | None = None,
) -> Activity:
    """One timeline entry of a system type, inside the caller's transaction."""
    activity = Activity.objects.create(
        legal_entity=legal_entity,
        customer=customer,
        type=system_type(legal_entity, code),
        occurred_at=occurred_at,
        subject=subject[:200] or code,
        description=description,
        author=author,
        store=store,
    )
    readmodel.contact_noted(activity)
    return activity
