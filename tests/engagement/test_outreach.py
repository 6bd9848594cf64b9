"""Outreach (R-OUT-1, R-OUT-2): HQ's templates per language sent to a selection through a real
SMTP server (aiosmtpd, in this process, on a free port); consent checked and the rest counted
before sending; each message on the timeline with a one-click unsubscribe link; a purchase
after it is its outcome."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from urllib.parse import urlparse

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from clienteling.customers.models import Customer
from clienteling.engagement import mail, selectors, services
from clienteling.engagement.models import Outreach, OutreachMessage
from clienteling.jobs.services import job_run
from clienteling.sales.services import sales_upsert
from clienteling.timeline.models import Activity
from tests.engagement.conftest import customers_in_book, set_values
from tests.factories import CustomerFactory
from tests.servers import free_port


class Collector:
    """An SMTP server's handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.recipients.extend(envelope.rcpt_tos)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings):
    """A real SMTP server; Django's SMTP backend sends to it."""
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.DEFAULT_FROM_EMAIL = "boutique@example.com"
    settings.CLIENTELING_BASE_URL = "https://clienteling.example.com"
    settings.OUTREACH_RATE_PER_MINUTE = 60_000
    yield handler
    controller.stop()


def mixed_book(giulia, legal_entity):
    """Six customers who like shoes: consenting in Italian, Lithuanian, English and German
    (no German template: English), one without consent, one without an address; and one who
    likes watches (not selected)."""
    specs = [
        ("IT1", "it", True, "it1@example.com"),
        ("LT1", "lt", True, "lt1@example.com"),
        ("EN1", "en", True, "en1@example.com"),
        ("DE1", "de", True, "de1@example.com"),
        ("NO1", "it", False, "no1@example.com"),
        ("NX1", "it", True, ""),
        ("WA1", "it", True, "wa1@example.com"),
    ]
    made = {}
    for account, language, consent, address in specs:
        customer = CustomerFactory.create(
            legal_entity=legal_entity, account=account, first_name=f"Name{account}",
            preferred_language=language, consent_email=consent, email=address,
        )  # fmt: skip
        made[account] = customer
    from tests.factories import book_add

    book_add(giulia, *made.values())
    set_values(legal_entity, [
        (c, "PREF_CATEGORY", "Watches" if account == "WA1" else "Shoes")
        for account, c in made.items()
    ])  # fmt: skip
    return made


def start(giulia, legal_entity, query="attr.PREF_CATEGORY=Shoes"):
    ids = selectors.selection_customer_ids(actor=giulia, legal_entity=legal_entity, query=query)
    return services.outreach_start(
        actor=giulia, legal_entity=legal_entity, template_code="BIRTHDAY", customer_ids=ids
    )


@pytest.mark.django_db(transaction=True)
def test_exactly_the_consenting_customers_get_the_mail_in_their_language(
    giulia, legal_entity, templates, smtp, django_capture_on_commit_callbacks
):
    """R-OUT-1: the others are counted by reason before sending; the background worker sends
    one message each, in the customer's language, through SMTP, each on the timeline."""
    mixed_book(giulia, legal_entity)

    with django_capture_on_commit_callbacks(execute=True):
        outreach, skipped = start(giulia, legal_entity)
    call_command("jobs_worker", "--batch", verbosity=0)

    assert (outreach.recipients, skipped) == (4, {"no_consent": 1, "no_email": 1, "no_phone": 0})
    by_address = {m["To"]: m for m in smtp.messages}
    assert sorted(by_address) == sorted(smtp.recipients) == [
        "de1@example.com", "en1@example.com", "it1@example.com", "lt1@example.com",
    ]  # fmt: skip
    assert by_address["it1@example.com"]["Subject"] == "Buon compleanno, NameIT1!"
    assert by_address["lt1@example.com"]["Subject"] == "Su gimtadieniu, NameLT1!"
    assert by_address["en1@example.com"]["Subject"] == "Happy birthday, NameEN1!"
    assert by_address["de1@example.com"]["Subject"] == "Happy birthday, NameDE1!"
    body = by_address["it1@example.com"].get_content()
    assert "tanti auguri da" in body and "Milano" in body
    progress = selectors.outreach_get(
        actor=giulia, legal_entity=legal_entity, outreach_id=outreach.pk
    )
    assert (progress.status, progress.sent, progress.failed, progress.queued) == ("done", 4, 0, 0)
    on_timeline = Activity.objects.filter(type__code="OUTREACH_EMAIL")
    assert sorted(on_timeline.values_list("customer__account", flat=True)) == [
        "DE1", "EN1", "IT1", "LT1",
    ]  # fmt: skip
    assert on_timeline.get(customer__account="IT1").subject == "Buon compleanno, NameIT1!"


@pytest.mark.django_db
def test_each_message_carries_one_click_unsubscribe_that_withdraws_consent(
    giulia, legal_entity, templates, smtp
):
    """R-OUT-1: List-Unsubscribe (a signed link under CLIENTELING_BASE_URL) and
    List-Unsubscribe-Post; GET shows one button, POST without login withdraws the e-mail
    consent, on the timeline; the next send skips that customer."""
    mixed_book(giulia, legal_entity)
    outreach, _skipped = start(giulia, legal_entity)
    job_run(outreach.job_id or 0)
    message = next(m for m in smtp.messages if m["To"] == "it1@example.com")
    link = message["List-Unsubscribe"].strip().strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith("https://clienteling.example.com/unsubscribe/")
    assert link in message.get_content()
    path = urlparse(link).path
    anonymous = Client(enforce_csrf_checks=True)

    page = anonymous.get(path)
    assert page.status_code == 200
    assert page.content.decode().count("<button") == 1
    assert Customer.objects.get(account="IT1").consent_email is True

    done = anonymous.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert Customer.objects.get(account="IT1").consent_email is False
    assert Activity.objects.filter(customer__account="IT1", type__code="EMAIL_OPT_OUT").count() == 1
    again = anonymous.post(path, {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert Activity.objects.filter(type__code="EMAIL_OPT_OUT").count() == 1

    smtp.messages.clear()
    second, skipped = start(giulia, legal_entity)
    job_run(second.job_id or 0)
    assert (second.recipients, skipped["no_consent"]) == (3, 2)
    assert "it1@example.com" not in {m["To"] for m in smtp.messages}


@pytest.mark.django_db
def test_a_forged_or_altered_unsubscribe_link_changes_nothing(
    giulia, legal_entity, templates, smtp
):
    """R-OUT-1: only a link signed here withdraws consent; any other is not found."""
    mixed_book(giulia, legal_entity)
    outreach, _skipped = start(giulia, legal_entity)
    job_run(outreach.job_id or 0)
    token = mail.unsubscribe_token(OutreachMessage.objects.get(customer__account="IT1").pk)

    for bad in (token[:-2] + "xx", "not-a-token", token.replace(":", "", 1)):
        assert Client().post(f"/unsubscribe/{bad}/").status_code == 404
    assert Customer.objects.get(account="IT1").consent_email is True


@pytest.mark.django_db
def test_a_purchase_after_outreach_is_its_outcome(giulia, legal_entity, templates, smtp):
    """R-OUT-2: a purchase within HQ's 14 days after the message shows on the timeline as its
    outcome, once, and is counted per associate and per template; one before it is not."""
    customers = mixed_book(giulia, legal_entity)
    outreach, _skipped = start(giulia, legal_entity)
    job_run(outreach.job_id or 0)
    sent = timezone.now() - dt.timedelta(days=5)
    OutreachMessage.objects.filter(outreach=outreach).update(sent_at=sent)
    day = lambda delta: (sent + delta).isoformat()  # noqa: E731
    refused = sales_upsert(legal_entity=legal_entity, lines=[
        {"transaction": "T1", "line": "1", "account": "IT1", "sold_at": day(dt.timedelta(days=2)),
         "store": "MI01", "amount": "420.00", "product_name": "Loafers"},
        {"transaction": "T2", "line": "1", "account": "LT1", "sold_at": day(-dt.timedelta(days=1)),
         "store": "MI01", "amount": "99.00"},
    ])  # fmt: skip
    assert refused == {}

    recorded = services.outreach_outcomes_record(legal_entity=legal_entity)
    again = services.outreach_outcomes_record(legal_entity=legal_entity)

    assert (recorded, again) == (1, 0)
    outcome = Activity.objects.get(type__code="OUTREACH_OUTCOME")
    assert outcome.customer_id == customers["IT1"].pk
    assert "Loafers" in outcome.description
    assert outcome.occurred_at > sent
    counts = selectors.outreach_outcomes(
        actor=giulia, legal_entity=legal_entity, since=sent.date() - dt.timedelta(days=1)
    )
    assert [(c.key, c.messages, c.purchases) for c in counts.by_associate] == [("giulia", 4, 1)]
    assert [(c.key, c.messages, c.purchases) for c in counts.by_template] == [("BIRTHDAY", 4, 1)]
    progress = selectors.outreach_get(
        actor=giulia, legal_entity=legal_entity, outreach_id=outreach.pk
    )
    assert progress.outcomes == 1


@pytest.mark.django_db
def test_sending_keeps_to_the_rate_per_minute(
    giulia, legal_entity, templates, smtp, settings, monkeypatch
):
    """R-OUT-1: at 120 a minute, each message waits half a second after the one before."""
    settings.OUTREACH_RATE_PER_MINUTE = 120
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    monkeypatch.setattr(services.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(services.time, "sleep", sleep)
    customers = customers_in_book(giulia, legal_entity, 3, consent_email=True)
    outreach, _skipped = services.outreach_start(
        actor=giulia, legal_entity=legal_entity, template_code="BIRTHDAY",
        customer_ids=[c.pk for c in customers],
    )  # fmt: skip

    job_run(outreach.job_id or 0)

    assert slept == [0.5, 0.5]
    assert len(smtp.messages) == 3


@pytest.mark.django_db
def test_text_messages_follow_the_same_consent_rule(giulia, legal_entity, templates, settings):
    """R-OUT-1: a text message goes through the configured backend only to customers who
    consent to texts and have a phone; the rest are counted."""
    settings.OUTREACH_SMS_BACKEND = "clienteling.engagement.mail.MemoryTextBackend"
    mail.MemoryTextBackend.outbox.clear()
    yes = CustomerFactory.create(legal_entity=legal_entity, consent_sms=True, phone="+39 1")
    no = CustomerFactory.create(legal_entity=legal_entity, consent_sms=False, phone="+39 2")
    nophone = CustomerFactory.create(legal_entity=legal_entity, consent_sms=True, phone="")

    outreach, skipped = services.outreach_start(
        actor=giulia, legal_entity=legal_entity, template_code="BIRTHDAY",
        customer_ids=[yes.pk, no.pk, nophone.pk], channel="sms",
    )  # fmt: skip
    job_run(outreach.job_id or 0)

    assert skipped == {"no_consent": 1, "no_email": 0, "no_phone": 1}
    assert [to for to, _text in mail.MemoryTextBackend.outbox] == ["+39 1"]
    assert Activity.objects.filter(type__code="OUTREACH_SMS", customer=yes).count() == 1
    assert Outreach.objects.get().channel == "sms"


@pytest.mark.django_db
def test_a_template_with_an_unknown_placeholder_is_refused(legal_entity):
    """R-OUT-1: only {first_name}, {last_name}, {associate} and {store}; nothing else of
    str.format is interpreted."""
    from clienteling.core.errors import Invalid
    from clienteling.engagement.models import EmailTemplate
    from clienteling.engagement.services import email_template_validate

    bad = EmailTemplate(legal_entity=legal_entity, code="X", language="en", subject="Hi",
                        body="{first_name.__class__}")  # fmt: skip
    with pytest.raises(Invalid) as refused:
        email_template_validate(template=bad)
    assert refused.value.field == "body"
    assert mail.fill("{first_name} {0} {store", {"first_name": "Ada"}) == "Ada {0} {store"


@pytest.mark.django_db
def test_an_outreach_to_10000_customers_is_queued_with_one_message_each(
    giulia, legal_entity, templates
):
    """R-OUT-1: counting, one message row each and the job, for 10,000 customers (the
    sending is the background job's). How long it takes is `make bench`'s (outreach)."""
    built = [
        Customer(
            legal_entity=legal_entity,
            account=f"S{n:06d}",
            last_name=f"Scale {n}",
            email=f"s{n}@example.com" if n % 10 else "",
            consent_email=n % 7 != 0,
            preferred_language=("it", "lt", "en")[n % 3],
        )
        for n in range(10_000)
    ]
    Customer.objects.bulk_create(built, batch_size=2000)
    ids = list(Customer.objects.filter(legal_entity=legal_entity).values_list("pk", flat=True))

    outreach, skipped = services.outreach_start(
        actor=giulia, legal_entity=legal_entity, template_code="BIRTHDAY", customer_ids=ids
    )

    assert outreach.recipients + skipped["no_consent"] + skipped["no_email"] == 10_000
    assert skipped["no_email"] == 1000
    assert OutreachMessage.objects.filter(outreach=outreach).count() == outreach.recipients
