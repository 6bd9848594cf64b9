"""Writes of acting on the book (SPEC §18). Each is one transaction, checks the clienteling
switch and the actor's grant itself, and records its timeline entries explicitly."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from collections.abc import Callable, Sequence
from typing import Literal

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from clienteling.attributes.models import AttributeValue, DataType
from clienteling.clientbooks import readmodel
from clienteling.clientbooks.filters import upcoming_ranges
from clienteling.clientbooks.models import Membership
from clienteling.clientbooks.selectors import enabled_parameters, local_today, require_enabled
from clienteling.core.errors import Conflict, FeatureDisabled, Forbidden, Invalid, NotFound
from clienteling.core.text import is_safe_text
from clienteling.customers.models import Customer
from clienteling.customers.selectors import customer_scope
from clienteling.customers.services import customer_update
from clienteling.engagement import entries, mail
from clienteling.engagement.models import (
    Appointment,
    EmailTemplate,
    EngagementParameters,
    FollowUp,
    Outreach,
    OutreachMessage,
    ReminderRule,
)
from clienteling.engagement.selectors import (
    appointments_are_booked,
    first_purchase_after,
    next_occasion,
    parameters_of,
    zone_of,
)
from clienteling.jobs.services import Progress, job_start
from clienteling.organization.access import Operation, scope_of
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.timeline import services as timeline_services
from clienteling.timeline.models import Activity, ActivityType

logger = logging.getLogger(__name__)

SUBJECT_MAX = 200
NOTE_MAX = 4000
MAX_DUE_AHEAD = dt.timedelta(days=5 * 366)
MAX_APPOINTMENT_MINUTES = 12 * 60
APPOINTMENT_HORIZON = dt.timedelta(days=2 * 366)
FOLLOW_UP_BATCH = 1000
OUTREACH_JOB = "outreach.send"
Channel = Literal["email", "sms"]


def _line(raw: str, field: str, *, required: bool = True, limit: int = SUBJECT_MAX) -> str:
    text = " ".join((raw or "").split())
    if required and not text:
        raise Invalid(_("This field is required."), field=field, rule="required")
    if len(text) > limit:
        raise Invalid(
            _("At most %(max)d characters.") % {"max": limit}, field=field, rule="max_length"
        )
    if not is_safe_text(text):
        raise Invalid(
            _("This contains a character that is not allowed."), field=field, rule="characters"
        )
    return text


def _note(raw: str) -> str:
    text = (raw or "").strip()
    if len(text) > NOTE_MAX:
        raise Invalid(
            _("At most %(max)d characters.") % {"max": NOTE_MAX}, field="note", rule="max_length"
        )
    if not is_safe_text(text):
        raise Invalid(
            _("This contains a character that is not allowed."), field="note", rule="characters"
        )
    return text


# --- HQ settings --------------------------------------------------------------------------


def engagement_parameters_validate(*, parameters: EngagementParameters) -> None:
    """Days not contacted from 1 to 3650; an outcome window from 1 to 365 days."""
    if not 1 <= (parameters.quiet_days or 0) <= 3650:
        raise Invalid(_("Give a number of days from 1 to 3650."), field="quiet_days", rule="range")
    if not 1 <= (parameters.outcome_days or 0) <= 365:
        raise Invalid(_("Give a number of days from 1 to 365."), field="outcome_days", rule="range")


def reminder_rule_validate(*, rule: ReminderRule) -> None:
    """A reminder is for a date attribute, from 0 to 60 days ahead (R-TASK-2)."""
    if rule.attribute_id is not None and rule.attribute.data_type != DataType.DATE:
        raise Invalid(_("Choose a date attribute."), field="attribute", rule="not_a_date")
    if not 0 <= (rule.lead_days if rule.lead_days is not None else -1) <= 60:
        raise Invalid(_("Give a number of days from 0 to 60."), field="lead_days", rule="range")


def email_template_validate(*, template: EmailTemplate) -> None:
    """Subject on one line; subject and body with known placeholders only (R-OUT-1)."""
    _line(template.subject, "subject")
    if not (template.body or "").strip():
        raise Invalid(_("Write the body of the e-mail."), field="body", rule="required")
    mail.placeholders_check(template.subject, "subject")
    mail.placeholders_check(template.body, "body")


# --- Follow-ups (R-TASK-1) ------------------------------------------------------------------


@transaction.atomic
def follow_ups_create(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    customer_ids: Sequence[int],
    subject: str,
    due: dt.date,
    note: str = "",
) -> int:
    """A follow-up for the actor on each customer (one, or every customer of a selection);
    answers how many were made."""
    scope = scope_of(actor, legal_entity)
    require_enabled(scope)
    scope.require(Operation.READ_CUSTOMER_DETAILS)
    clean_subject = _line(subject, "subject")
    clean_note = _note(note)
    today = local_today(legal_entity)
    if due < today:
        raise Invalid(_("The due date cannot be in the past."), field="due", rule="not_past")
    if due > today + MAX_DUE_AHEAD:
        raise Invalid(_("The due date can be up to five years ahead."), field="due", rule="range")
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        raise Invalid(_("Choose at least one customer."), field="customers", rule="required")
    found = set(
        Customer.objects.filter(legal_entity=legal_entity, pk__in=ids).values_list("pk", flat=True)
    )
    if len(found) != len(ids):
        raise NotFound(_("Customer not found."), field="customers")
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                legal_entity=legal_entity,
                customer_id=customer_id,
                owner=actor,
                created_by=actor,
                subject=clean_subject,
                note=clean_note,
                due=due,
            )
            for customer_id in ids
        ],
        batch_size=FOLLOW_UP_BATCH,
    )
    return len(ids)


def _locked(actor: Worker, follow_up: FollowUp) -> FollowUp:
    if follow_up.owner_id != actor.pk:
        raise NotFound(_("Follow-up not found."), field="id")
    require_enabled(scope_of(actor, follow_up.legal_entity_id))
    return (
        FollowUp.objects.select_for_update()
        .select_related("customer", "legal_entity")
        .get(pk=follow_up.pk)
    )


@transaction.atomic
def follow_up_done(*, actor: Worker, follow_up: FollowUp) -> FollowUp:
    """Mark the actor's follow-up done, on the customer's timeline; done again changes nothing."""
    locked = _locked(actor, follow_up)
    if locked.done_at is not None:
        return locked
    now = timezone.now()
    locked.done_at, locked.done_by = now, actor
    locked.save(update_fields=["done_at", "done_by"])
    entries.entry_record(
        legal_entity=locked.legal_entity,
        customer=locked.customer,
        code="FOLLOWUP_DONE",
        subject=locked.subject,
        description=locked.note,
        author=actor,
        occurred_at=now,
    )
    return locked


@transaction.atomic
def follow_up_undone(*, actor: Worker, follow_up: FollowUp) -> FollowUp:
    """Open a done follow-up again, on the customer's timeline."""
    locked = _locked(actor, follow_up)
    if locked.done_at is None:
        return locked
    locked.done_at, locked.done_by = None, None
    locked.save(update_fields=["done_at", "done_by"])
    entries.entry_record(
        legal_entity=locked.legal_entity,
        customer=locked.customer,
        code="FOLLOWUP_REOPENED",
        subject=locked.subject,
        author=actor,
        occurred_at=timezone.now(),
    )
    return locked


# --- Reminders (R-TASK-2) ------------------------------------------------------------------


@transaction.atomic
def reminders_create(*, legal_entity: LegalEntity, today: dt.date | None = None) -> int:
    """For each of HQ's reminder rules, a follow-up for the owner of the customer's (primary)
    book on each occasion within the lead time from today: once per customer, attribute and
    occasion, whoever runs it, however often, and a late run still catches occasions that
    have not passed. Answers how many were made."""
    try:
        enabled_parameters(legal_entity)
    except FeatureDisabled:
        return 0
    today = today or local_today(legal_entity)
    made = 0
    rules = ReminderRule.objects.filter(legal_entity=legal_entity, active=True).select_related(
        "attribute"
    )
    for rule in rules:
        window = Q()
        for low, high in upcoming_ranges(today, rule.lead_days):
            window |= Q(month_day__gte=low, month_day__lte=high)
        dates = dict(
            AttributeValue.objects.filter(
                window,
                attribute=rule.attribute,
                legal_entity=legal_entity,
                value_date__isnull=False,
            )
            .order_by()
            .values_list("customer_id", "value_date")
        )
        name = rule.attribute.localized_name(settings.LANGUAGE_CODE)
        customer_ids = list(dates)
        for chunk_start in range(0, len(customer_ids), FOLLOW_UP_BATCH):
            chunk = customer_ids[chunk_start : chunk_start + FOLLOW_UP_BATCH]
            owners = dict(
                Membership.objects.filter(
                    legal_entity=legal_entity, is_primary=True, customer_id__in=chunk
                )
                .order_by()
                .values_list("customer_id", "book__owner_id")
            )
            wanted: dict[tuple[int, dt.date], FollowUp] = {}
            for customer_id, owner_id in owners.items():
                date = dates[customer_id]
                if date is None:
                    continue
                occasion = next_occasion(date, today)
                if (occasion - today).days > rule.lead_days:
                    continue
                wanted[(customer_id, occasion)] = FollowUp(
                    legal_entity=legal_entity,
                    customer_id=customer_id,
                    owner_id=owner_id,
                    subject=f"{name} {occasion.isoformat()}",
                    due=today,
                    reminder_attribute=rule.attribute,
                    occasion=occasion,
                )
            if not wanted:
                continue
            existing = set(
                FollowUp.objects.filter(
                    legal_entity=legal_entity,
                    reminder_attribute=rule.attribute,
                    customer_id__in=chunk,
                    occasion__in={occasion for _c, occasion in wanted},
                ).values_list("customer_id", "occasion")
            )
            new = [row for key, row in wanted.items() if key not in existing]
            # A concurrent run's rows are skipped by the unique constraint, not duplicated.
            FollowUp.objects.bulk_create(new, batch_size=FOLLOW_UP_BATCH, ignore_conflicts=True)
            made += len(new)
    return made


# --- Appointments (R-APPT-1) ----------------------------------------------------------------


def _overlapping(associate: Worker, start: dt.datetime, end: dt.datetime) -> Appointment | None:
    return (
        Appointment.objects.filter(
            associate=associate, start__lt=end, end__gt=start, cancelled_at__isnull=True
        )
        .order_by("start")
        .first()
    )


def _double_booked(found: Appointment | None, associate: Worker) -> Conflict:
    details: dict[str, object] = {"associate": associate.username}
    if found is not None:
        details |= {"appointment": found.pk, "start": found.start.isoformat()}
    return Conflict(
        _("%(associate)s already has an appointment at that time.") % {"associate": str(associate)},
        field="start",
        details=details,
    )


@transaction.atomic
def appointment_book(
    *,
    actor: Worker,
    customer: Customer,
    start: dt.datetime,
    duration_minutes: int,
    store: Store,
    purpose: str,
) -> Appointment:
    """Book the actor with a customer at a store; a start without a time zone is the legal
    entity's local time. An associate is never booked twice at the
    same time: the check here, serialised by SQLite's write lock, and on PostgreSQL an
    exclusion constraint that decides when two requests race."""
    scope = customer_scope(actor, customer)
    require_enabled(scope)
    if store.legal_entity_id != customer.legal_entity_id or not scope.works_in(store):
        raise NotFound(_("Store %(code)s not found.") % {"code": store.code}, field="store")
    clean_purpose = _line(purpose, "purpose")
    if not 1 <= duration_minutes <= MAX_APPOINTMENT_MINUTES:
        raise Invalid(
            _("An appointment lasts from 1 to %(max)d minutes.") % {"max": MAX_APPOINTMENT_MINUTES},
            field="duration_minutes",
            rule="range",
        )
    now = timezone.now()
    if start.tzinfo is None:  # the legal entity's local time
        start = start.replace(tzinfo=zone_of(customer.legal_entity))
    try:
        start = start.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise Invalid(_("Give a start within two years."), field="start", rule="range") from None
    if start < now - dt.timedelta(minutes=5):
        raise Invalid(_("An appointment cannot start in the past."), field="start", rule="not_past")
    if start > now + APPOINTMENT_HORIZON:
        raise Invalid(
            _("An appointment can be booked up to two years ahead."), field="start", rule="range"
        )
    end = start + dt.timedelta(minutes=duration_minutes)
    clash = _overlapping(actor, start, end)
    if clash is not None:
        raise _double_booked(clash, actor)
    legal_entity = scope.legal_entity
    try:
        with transaction.atomic():
            activity = entries.Activity.objects.create(
                legal_entity=legal_entity,
                customer=customer,
                type=entries.appointment_type(legal_entity),
                occurred_at=start,
                subject=clean_purpose,
                author=actor,
                store=store,
                scheduled_start=start,
                duration_minutes=duration_minutes,
            )
            readmodel.contact_noted(activity)
            return Appointment.objects.create(
                legal_entity=legal_entity,
                customer=customer,
                associate=actor,
                store=store,
                start=start,
                end=end,
                purpose=clean_purpose,
                activity=activity,
            )
    except IntegrityError:
        # PostgreSQL's exclusion constraint: another booking of this associate committed
        # between the check and the insert.
        raise _double_booked(None, actor) from None


@transaction.atomic
def appointment_cancel(*, actor: Worker, appointment: Appointment) -> Appointment:
    """Cancel an appointment that has not ended: by the associate booked, or by a manager of
    its store (who may reassign the store's customers). Its time is free again; it stays, marked, with a
    timeline entry saying who cancelled it. Cancelling it again changes nothing."""
    scope = scope_of(actor, appointment.legal_entity)
    require_enabled(scope)
    if appointment.associate_id != actor.pk:
        store = appointment.store
        manages = scope.may(Operation.REASSIGN_CUSTOMERS)
        if store is None or not scope.works_in(store) or not manages:
            raise Forbidden(
                _("Only the associate booked or a manager of its store cancels an appointment."),
                operation=Operation.REASSIGN_CUSTOMERS.api_name,
            )
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.cancelled_at is not None:
        return locked
    now = timezone.now()
    if locked.end <= now:
        raise Invalid(
            _("An appointment that has ended cannot be cancelled."), field="id", rule="ended"
        )
    locked.cancelled_at, locked.cancelled_by = now, actor
    locked.save(update_fields=["cancelled_at", "cancelled_by"])
    entries.entry_record(
        legal_entity=locked.legal_entity,
        customer=locked.customer,
        code="APPT_CANCELLED",
        subject=locked.purpose,
        author=actor,
        occurred_at=now,
        store=locked.store,
    )
    return locked


# --- Outreach (R-OUT-1, R-OUT-2) ------------------------------------------------------------


def _template_languages(legal_entity: LegalEntity, code: str) -> list[str]:
    return list(
        EmailTemplate.objects.filter(legal_entity=legal_entity, code=code)
        .order_by("language")
        .values_list("language", flat=True)
    )


def language_for(customer: Customer, languages: Sequence[str]) -> str:
    """The customer's preferred language when the template has it, else English, else the
    first language the template is written in."""
    preferred = (customer.preferred_language or "")[:2].lower()
    if preferred in languages:
        return preferred
    return "en" if "en" in languages else languages[0]


@transaction.atomic
def outreach_start(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    template_code: str,
    customer_ids: Sequence[int],
    store: Store | None = None,
    channel: Channel = "email",
) -> tuple[Outreach, dict[str, int]]:
    """Queue a template for the customers whose consent allows the channel; the others are
    counted by reason before anything is sent (no e-mail address whatever the consent, then
    no consent). The messages go out in a background job. Answers the outreach and the
    skipped counts."""
    scope = scope_of(actor, legal_entity)
    require_enabled(scope)
    scope.require(Operation.READ_CUSTOMER_DETAILS)
    if store is not None:
        scope.require_store(store)
    languages = _template_languages(legal_entity, template_code)
    if not languages:
        raise Invalid(
            _("There is no e-mail template %(code)s.") % {"code": template_code},
            field="template",
            rule="unknown",
        )
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        raise Invalid(_("Choose at least one customer."), field="customers", rule="required")
    customers = list(
        Customer.objects.filter(legal_entity=legal_entity, pk__in=ids).only(
            "id", "email", "phone", "consent_email", "consent_sms", "preferred_language"
        )
    )
    if len(customers) != len(ids):
        raise NotFound(_("Customer not found."), field="customers")
    skipped = {"no_consent": 0, "no_email": 0, "no_phone": 0}
    recipients: list[Customer] = []
    for customer in customers:
        if channel == "email" and not customer.email:
            skipped["no_email"] += 1
        elif channel == "sms" and not customer.phone:
            skipped["no_phone"] += 1
        elif not (customer.consent_email if channel == "email" else customer.consent_sms):
            skipped["no_consent"] += 1
        else:
            recipients.append(customer)
    outreach = Outreach.objects.create(
        legal_entity=legal_entity,
        template_code=template_code,
        channel=channel,
        sender=actor,
        store=store or (scope.stores[0] if scope.stores else None),
        recipients=len(recipients),
        skipped_no_consent=skipped["no_consent"],
        skipped_no_email=skipped["no_email"],
    )
    _messages_insert(outreach, [(c.pk, language_for(c, languages)) for c in recipients])
    if recipients:
        outreach.job = job_start(
            kind=OUTREACH_JOB,
            legal_entity=legal_entity,
            started_by=actor.user,
            arguments={"outreach": outreach.pk},
        )
        outreach.save(update_fields=["job"])
    return outreach, skipped


def _messages_insert(outreach: Outreach, rows: Sequence[tuple[int, str]]) -> None:
    """One queued message per (customer id, language). On PostgreSQL the rows go as two
    arrays in one statement: binding 10,000 rows of placeholders cost psycopg most of a
    second (docs/architecture.md); SQLite binds them fast."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO engagement_outreachmessage "
                "(legal_entity_id, outreach_id, customer_id, language, status, subject, error) "
                "SELECT %s, %s, r.customer_id, r.language, 'queued', '', '' "
                "FROM unnest(%s::bigint[], %s::text[]) AS r(customer_id, language)",
                [
                    outreach.legal_entity_id,
                    outreach.pk,
                    [customer for customer, _l in rows],
                    [language for _c, language in rows],
                ],
            )
        return
    OutreachMessage.objects.bulk_create(
        [
            OutreachMessage(
                legal_entity_id=outreach.legal_entity_id,
                outreach=outreach,
                customer_id=customer,
                language=language,
            )
            for customer, language in rows
        ],
        batch_size=2000,
    )


class RateLimit:
    """At most ``per_minute`` sends a minute: each waits for its slot."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.interval = 60.0 / max(per_minute, 1)
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.next_slot = self.clock()

    def wait(self) -> None:
        now = self.clock()
        if self.next_slot > now:
            self.sleep(self.next_slot - now)
            now = self.next_slot
        self.next_slot = now + self.interval


def _values(message: OutreachMessage, outreach: Outreach) -> dict[str, str]:
    customer = message.customer
    sender = outreach.sender
    return {
        "first_name": customer.first_name or customer.display_name,
        "last_name": customer.last_name,
        "associate": sender.user.get_full_name() or sender.username,
        "store": outreach.store.name if outreach.store else "",
    }


def outreach_deliver(*, outreach_id: int, progress: Progress | None = None) -> None:
    """Send an outreach's queued messages at the configured rate (the background job's work);
    each sent message goes on the customer's timeline in the transaction that marks it sent.
    A customer who withdrew consent since is skipped. A refused address fails that message;
    a lost SMTP connection raises, and the job's retry sends what is still queued."""
    outreach = Outreach.objects.select_related("legal_entity", "sender__user", "store").get(
        pk=outreach_id
    )
    templates = {
        t.language: t
        for t in EmailTemplate.objects.filter(
            legal_entity=outreach.legal_entity, code=outreach.template_code
        )
    }
    queued = OutreachMessage.objects.filter(
        outreach=outreach, status=OutreachMessage.Status.QUEUED
    ).select_related("customer")
    if progress is not None:
        progress.total(queued.count())
    limit = RateLimit(settings.OUTREACH_RATE_PER_MINUTE)
    email = outreach.channel == Outreach.Channel.EMAIL
    connection = get_connection() if email else None
    texts = mail.text_backend() if not email else None
    if connection is not None:
        connection.open()
    try:
        last_id = 0
        while True:
            batch = list(queued.filter(id__gt=last_id).order_by("id")[:200])
            if not batch:
                break
            for message in batch:
                last_id = message.pk
                _deliver_one(outreach, message, templates, limit, connection, texts)
                if progress is not None:
                    progress.advance(1, accepted=1)
    finally:
        if connection is not None:
            connection.close()


def _deliver_one(
    outreach: Outreach,
    message: OutreachMessage,
    templates: dict[str, EmailTemplate],
    limit: RateLimit,
    connection: BaseEmailBackend | None,
    texts: mail.TextBackend | None,
) -> None:
    customer = Customer.objects.get(pk=message.customer_id)
    message.customer = customer
    email = outreach.channel == Outreach.Channel.EMAIL
    allowed = customer.consent_email and customer.email if email else customer.consent_sms
    template = templates.get(message.language) or next(iter(templates.values()), None)
    if not allowed or template is None:
        OutreachMessage.objects.filter(pk=message.pk).update(status=OutreachMessage.Status.SKIPPED)
        return
    values = _values(message, outreach)
    rendered = mail.Rendered(
        subject=mail.fill(template.subject, values), body=mail.fill(template.body, values)
    )
    limit.wait()
    try:
        if connection is not None:
            connection.send_messages(
                [mail.email_build(message_id=message.pk, to=customer.email, rendered=rendered)]
            )
        else:
            assert texts is not None
            texts.send(to=customer.phone, text=f"{rendered.subject}\n{rendered.body}")
    except smtplib.SMTPRecipientsRefused as error:
        OutreachMessage.objects.filter(pk=message.pk).update(
            status=OutreachMessage.Status.FAILED, error=str(error)[:300]
        )
        return
    now = timezone.now()
    with transaction.atomic():
        activity = entries.entry_record(
            legal_entity=outreach.legal_entity,
            customer=customer,
            code="OUTREACH_EMAIL" if email else "OUTREACH_SMS",
            subject=rendered.subject,
            description=rendered.body[:4000],
            author=outreach.sender,
            occurred_at=now,
            store=outreach.store,
        )
        OutreachMessage.objects.filter(pk=message.pk).update(
            status=OutreachMessage.Status.SENT,
            sent_at=now,
            subject=rendered.subject[:200],
            activity=activity,
        )


@transaction.atomic
def email_consent_withdraw(*, token: str) -> Customer:
    """The customer of a signed unsubscribe link no longer gets e-mail: consent withdrawn,
    on the timeline; no login needed, the signature is the proof. A bad link is not found."""
    message_id = mail.unsubscribe_message_id(token)
    message = (
        OutreachMessage.objects.select_related("customer", "outreach__sender", "legal_entity")
        .filter(pk=message_id)
        .first()
        if message_id is not None
        else None
    )
    if message is None:
        raise NotFound(_("This link is not valid."), field="token")
    customer = Customer.objects.select_for_update().get(pk=message.customer_id)
    if not customer.consent_email:
        return customer
    customer_update(customer=customer, consent_email=False)
    entries.entry_record(
        legal_entity=message.legal_entity,
        customer=customer,
        code="EMAIL_OPT_OUT",
        subject=_("Unsubscribed from e-mail"),
        description=_("Through the link in the e-mail “%(subject)s”.")
        % {"subject": message.subject},
        author=message.outreach.sender,
        occurred_at=timezone.now(),
    )
    return customer


def unsubscribe_customer(*, token: str) -> Customer:
    """Whom a signed unsubscribe link is for (the page that offers the button)."""
    message_id = mail.unsubscribe_message_id(token)
    message = (
        OutreachMessage.objects.select_related("customer").filter(pk=message_id).first()
        if message_id is not None
        else None
    )
    if message is None:
        raise NotFound(_("This link is not valid."), field="token")
    return message.customer


@transaction.atomic
def outreach_outcomes_record(*, legal_entity: LegalEntity, now: dt.datetime | None = None) -> int:
    """Put on the timeline, once, the first purchase that followed each outreach message
    within HQ's window (R-OUT-2). Run daily (after the sales arrive); answers how many."""
    now = now or timezone.now()
    window = dt.timedelta(days=parameters_of(legal_entity).outcome_days)
    pending = OutreachMessage.objects.filter(
        legal_entity=legal_entity,
        status=OutreachMessage.Status.SENT,
        outcome_at__isnull=True,
        sent_at__gte=now - window - dt.timedelta(days=1),
    ).select_related("customer", "outreach__sender", "outreach__store")
    recorded = 0
    for message in pending:
        sale = first_purchase_after(message, window)
        if sale is None:
            continue
        activity = entries.entry_record(
            legal_entity=legal_entity,
            customer=message.customer,
            code="OUTREACH_OUTCOME",
            subject=message.subject or message.outreach.template_code,
            description=_("Bought %(product)s for %(amount)s %(currency)s after the e-mail.")
            % {
                "product": sale.product_name or sale.product or sale.category or "—",
                "amount": number_format(sale.amount, decimal_pos=2, use_l10n=True),
                "currency": sale.currency,
            },
            author=message.outreach.sender,
            occurred_at=sale.sold_at,
            store=message.outreach.store,
        )
        message.outcome_at, message.outcome_activity = sale.sold_at, activity
        message.save(update_fields=["outcome_at", "outcome_activity"])
        recorded += 1
    return recorded


# --- Activities recorded in the store app (R-ACT-2, R-APPT-1) --------------------------------


def activity_record(
    *,
    actor: Worker,
    customer: Customer,
    type_code: str,
    subject: str,
    description: str = "",
    occurred_at: dt.datetime | None = None,
    store: Store | None = None,
    scheduled_start: dt.datetime | None = None,
    duration_minutes: int | None = None,
) -> Activity:
    """Record an activity (R-ACT-2). While appointments are booked, an activity of an
    appointment type is booked as an appointment (R-APPT-1), so that no way in skips the check
    that the associate is not booked twice: it needs its start, duration and store."""
    if (
        appointments_are_booked(customer.legal_entity)
        and ActivityType.objects.filter(
            legal_entity_id=customer.legal_entity_id, code=type_code, is_appointment=True
        ).exists()
    ):
        if scheduled_start is None or duration_minutes is None or store is None:
            missing = (
                "scheduled_start"
                if scheduled_start is None
                else "duration_minutes"
                if duration_minutes is None
                else "store"
            )
            raise Invalid(
                _("An appointment needs its start, duration and store."),
                field=missing,
                rule="required",
            )
        appointment = appointment_book(
            actor=actor,
            customer=customer,
            start=scheduled_start,
            duration_minutes=duration_minutes,
            store=store,
            purpose=subject,
        )
        return appointment.activity
    return timeline_services.activity_record(
        actor=actor,
        customer=customer,
        type_code=type_code,
        subject=subject,
        description=description,
        occurred_at=occurred_at,
        store=store,
        scheduled_start=scheduled_start,
        duration_minutes=duration_minutes,
    )
