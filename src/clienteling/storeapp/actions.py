"""Store-app pages of acting on the book (SPEC §18): Today as the associate's page, a
follow-up on a customer or on a book selection, booking an appointment, sending an outreach
e-mail, and the public unsubscribe page. Each view parses, calls one selector or service of
``engagement`` and renders; a refused input is shown beside its field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from clienteling.clientbooks import selectors as books
from clienteling.core.errors import Conflict, Invalid, NotFound
from clienteling.customers.selectors import customer_get
from clienteling.engagement import ics, selectors, services
from clienteling.storeapp.context import StoreContext
from clienteling.storeapp.forms import card_params, date_pattern, datetime_pattern
from clienteling.storeapp.today import today_view
from clienteling.storeapp.views import HtmxHttpRequest, store_view

SCOPES = (("book", gettext_lazy("My client book")), ("store", gettext_lazy("Store client books")))


def _scope(ctx: StoreContext) -> Any:
    if ctx.scope is None:
        raise NotFound(_("Choose a legal entity first."), field="legal_entity")
    return ctx.scope


@store_view
def today(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """The associate's day (R-TODAY-1)."""
    scope = _scope(ctx)
    page = selectors.today_page(actor=scope.actor, legal_entity=scope.legal_entity)
    return render(
        request,
        "storeapp/actions/today.html",
        {"ctx": ctx, "view": today_view(page), "nav": "today"},
    )


@store_view
@require_POST
def follow_up_done(request: HtmxHttpRequest, ctx: StoreContext, follow_up_id: int) -> HttpResponse:
    """One tap from Today: the follow-up is done, on the customer's timeline (R-TASK-1)."""
    scope = _scope(ctx)
    row = selectors.follow_up_get(
        actor=scope.actor, legal_entity=scope.legal_entity, follow_up_id=follow_up_id
    )
    services.follow_up_done(actor=scope.actor, follow_up=row)
    messages.success(request, _("Done: %(subject)s") % {"subject": row.subject})
    return redirect("storeapp:today")


class FollowUpForm(forms.Form):
    """Dates are typed in the app's language (its first input format, ISO also taken), not in
    the device's, as a browser's own date picker would show them (R-UX-2)."""

    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    due = forms.DateField(
        label=gettext_lazy("Due"),
        widget=forms.DateInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=4000, widget=forms.Textarea
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due"].help_text = date_pattern()
        self.fields["due"].widget.attrs["aria-describedby"] = "id_due-hint"


class AppointmentForm(forms.Form):
    """The start in the app's language, like the follow-up's due date."""

    start = forms.DateTimeField(
        label=gettext_lazy("Start"),
        widget=forms.DateTimeInput(attrs={"autocomplete": "off"}),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"), min_value=1, max_value=720, initial=60
    )
    store = forms.ChoiceField(label=gettext_lazy("Store"))
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start"].help_text = datetime_pattern()
        self.fields["start"].widget.attrs["aria-describedby"] = "id_start-hint"


class OutreachForm(forms.Form):
    template = forms.ChoiceField(label=gettext_lazy("E-mail"))


def _refused(form: forms.Form, error: Invalid) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


@dataclass(frozen=True)
class Selection:
    """The customers a form acts on, a sentence saying which, and the page it came from."""

    ids: list[int]
    who: str
    back: str


def _selection(request: HttpRequest, ctx: StoreContext) -> Selection:
    """``account`` (one customer), or the book's ``filter`` (its query string, dates as typed
    in the app's language) in ``scope`` book or store."""
    scope = _scope(ctx)
    account = request.GET.get("account", "").strip()
    if account:
        customer = customer_get(actor=scope.actor, legal_entity=scope.legal_entity, account=account)
        back = reverse("storeapp:customer", args=[customer.account])
        return Selection([customer.pk], customer.display_name, back)
    where: Literal["book", "store"] = "store" if request.GET.get("scope") == "store" else "book"
    raw = request.GET.get("filter", "")
    query = card_params(QueryDict(raw)).urlencode()
    ids = selectors.selection_customer_ids(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        query=query,
        scope=where,
        store=ctx.store,
    )
    back = reverse("storeapp:store_books" if where == "store" else "storeapp:book")
    who = ngettext(
        "%(n)d customer of the selection", "%(n)d customers of the selection", len(ids)
    ) % {"n": len(ids)}
    return Selection(ids, who, f"{back}?{query}" if query else back)


@store_view
def follow_up_new(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """A follow-up on one customer or on every customer of a selection (R-TASK-1)."""
    scope = _scope(ctx)
    chosen = _selection(request, ctx)
    form = FollowUpForm(
        request.POST or None, initial={"due": books.local_today(scope.legal_entity)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            made = services.follow_ups_create(
                actor=scope.actor,
                legal_entity=scope.legal_entity,
                customer_ids=chosen.ids,
                subject=form.cleaned_data["subject"],
                due=form.cleaned_data["due"],
                note=form.cleaned_data["note"],
            )
        except Invalid as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                ngettext("%(n)d follow-up created.", "%(n)d follow-ups created.", made)
                % {"n": made},
            )
            return redirect(chosen.back)
    status = 422 if form.errors else 200
    return render(
        request,
        "storeapp/actions/follow_up.html",
        {"ctx": ctx, "form": form, "who": chosen.who, "back": chosen.back, "nav": "today"},
        status=status,
    )


@store_view
def appointment_new(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """Book an appointment with a customer (R-APPT-1); a double booking is shown beside the start."""
    scope = _scope(ctx)
    account = request.GET.get("account", "")
    customer = customer_get(actor=scope.actor, legal_entity=scope.legal_entity, account=account)
    form = AppointmentForm(request.POST or None)
    stores = form.fields["store"]
    assert isinstance(stores, forms.ChoiceField)
    stores.choices = [(s.code, s.name) for s in scope.stores]
    if ctx.store is not None:
        form.fields["store"].initial = ctx.store.code
    if request.method == "POST" and form.is_valid():
        try:
            booked = services.appointment_book(
                actor=scope.actor,
                customer=customer,
                start=form.cleaned_data["start"],
                duration_minutes=form.cleaned_data["duration_minutes"],
                store=scope.store(form.cleaned_data["store"]),
                purpose=form.cleaned_data["purpose"],
            )
        except Invalid as error:
            _refused(form, error)
        except Conflict as error:
            form.add_error("start", str(error.message))
        else:
            local = booked.start.astimezone(selectors.zone_of(scope.legal_entity))
            messages.success(
                request,
                _("Appointment booked for %(when)s.")
                % {"when": date_format(local, "SHORT_DATETIME_FORMAT")},
            )
            return redirect(reverse("storeapp:customer", args=[customer.account]) + "#timeline")
    status = 422 if form.errors else 200
    return render(
        request,
        "storeapp/actions/appointment.html",
        {"ctx": ctx, "form": form, "customer": customer, "nav": "today"},
        status=status,
    )


@store_view
def appointment_ics(
    request: HtmxHttpRequest, ctx: StoreContext, appointment_id: int
) -> HttpResponseBase:
    """The appointment as an .ics download (R-APPT-1)."""
    scope = _scope(ctx)
    row = selectors.appointment_get(
        actor=scope.actor, legal_entity=scope.legal_entity, appointment_id=appointment_id
    )
    response = HttpResponse(
        ics.appointment_ics(row, host=request.get_host().split(":")[0]),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="appointment-{row.pk}.ics"'
    return response


@store_view
@require_POST
def appointment_cancel(
    request: HtmxHttpRequest, ctx: StoreContext, appointment_id: int
) -> HttpResponse:
    """Cancel an appointment from Today, which says so; its time is free again (R-APPT-1)."""
    scope = _scope(ctx)
    row = selectors.appointment_get(
        actor=scope.actor, legal_entity=scope.legal_entity, appointment_id=appointment_id
    )
    try:
        services.appointment_cancel(actor=scope.actor, appointment=row)
    except Invalid as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("Cancelled: %(purpose)s, %(name)s")
            % {"purpose": row.purpose, "name": row.customer.display_name},
        )
    return redirect("storeapp:today")


@store_view
def outreach_new(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """Send an e-mail template to one customer or a selection (R-OUT-1): the customers it
    cannot go to are counted, and the rest are sent in the background; then (``sent``) how
    far the sending got, refreshed while it runs."""
    scope = _scope(ctx)
    if "sent" in request.GET:
        return _outreach_progress(request, ctx, request.GET["sent"])
    chosen = _selection(request, ctx)
    form = OutreachForm(request.POST or None)
    codes = selectors.email_template_codes(legal_entity=scope.legal_entity)
    templates = form.fields["template"]
    assert isinstance(templates, forms.ChoiceField)
    templates.choices = [(code, code) for code in codes]
    if request.method == "POST" and form.is_valid():
        try:
            outreach, _skipped = services.outreach_start(
                actor=scope.actor,
                legal_entity=scope.legal_entity,
                template_code=form.cleaned_data["template"],
                customer_ids=chosen.ids,
                store=ctx.store,
            )
        except Invalid as error:
            _refused(form, error)
        else:
            # Post, then redirect: reloading the page shows the progress, never sends again.
            return redirect(f"{reverse('storeapp:outreach_new')}?sent={outreach.pk}")
    status = 422 if form.errors else 200
    return render(
        request,
        "storeapp/actions/outreach.html",
        {
            "ctx": ctx,
            "form": form,
            "who": chosen.who,
            "back": chosen.back,
            "count": len(chosen.ids),
            "nav": "today",
        },
        status=status,
    )


def _outreach_progress(request: HtmxHttpRequest, ctx: StoreContext, raw: str) -> HttpResponse:
    scope = _scope(ctx)
    outreach_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0
    progress = selectors.outreach_get(
        actor=scope.actor, legal_entity=scope.legal_entity, outreach_id=outreach_id
    )
    context = {
        "ctx": ctx,
        "progress": progress,
        "outreach": progress.outreach,
        "running": progress.status in ("queued", "running"),
        "nav": "today",
    }
    if request.htmx:
        return render(request, "storeapp/actions/_outreach_progress.html", context)
    return render(request, "storeapp/actions/outreach_sent.html", context)


# RFC 8058: a mail client posts "List-Unsubscribe=One-Click" to the link with no session and
# no CSRF token; the link's signature is what makes the request the customer's.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: one button; POST: the customer's e-mail consent is withdrawn (R-OUT-1)."""
    try:
        if request.method == "POST":
            customer = services.email_consent_withdraw(token=token)
            done = True
        else:
            customer = services.unsubscribe_customer(token=token)
            done = not customer.consent_email
    except NotFound:
        return render(request, "storeapp/actions/unsubscribe.html", {"invalid": True}, status=404)
    # The page speaks the customer's language, as the e-mail did.
    language = (customer.preferred_language or "")[:2]
    with translation.override(language if language in ("en", "it", "lt") else None):
        return render(
            request,
            "storeapp/actions/unsubscribe.html",
            {"done": done, "first_name": customer.first_name},
        )
