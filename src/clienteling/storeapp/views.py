"""The associates' pages. Each view parses input, calls one selector or service, and renders."""

from __future__ import annotations

import hashlib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from clienteling.attributes.models import DataType
from clienteling.clientbooks import pages, selectors
from clienteling.clientbooks import services as book_services
from clienteling.clientbooks.pages import CardListPage
from clienteling.clientbooks.selectors import SETTINGS
from clienteling.config.language import remember_language
from clienteling.core.errors import DomainError, Forbidden, Invalid, NotFound
from clienteling.customers import selectors as customer_selectors
from clienteling.customers.models import Customer
from clienteling.dataio import exports
from clienteling.engagement import selectors as engagement_selectors
from clienteling.engagement import services as engagement_services
from clienteling.organization.access import ACCESS, Operation
from clienteling.organization.selectors import worker_get
from clienteling.organization.services import language_validate, worker_language_set
from clienteling.sales import selectors as sales_selectors
from clienteling.storeapp.cards import card_views, cards_html, found_rows_html
from clienteling.storeapp.context import StoreContext, store_context, switch_context
from clienteling.storeapp.forms import (
    attribute_fields,
    attribute_input,
    card_params,
    date_pattern,
    datetime_pattern,
    filter_panel,
    local_datetime,
    whole_number,
)
from clienteling.timeline import selectors as timeline_selectors
from clienteling.timeline import services as timeline_services
from clienteling.timeline.models import Note

# A view answers a page, or a download streamed as it is written (StreamingHttpResponse).
View = Callable[..., HttpResponseBase]
# A date on a card or the customer's page says "today" or "in N days" up to this far ahead
# (or as far as the page's coming-date filter looks).
CUE_DAYS = 30


class HtmxHttpRequest(HttpRequest):
    """A request as HtmxMiddleware leaves it."""

    htmx: HtmxDetails


def store_view(view: View) -> View:
    """Log-in required; resolves the worker's context; renders domain errors as a readable
    message in the user's language with their status, never an error page."""

    @login_required
    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            ctx = store_context(request)
        except Forbidden as error:
            return render(
                request,
                "storeapp/problem.html",
                {"error": error, "back": _way_back(request)},
                status=error.status,
            )
        # Times read and shown in the store are the legal entity's local time.
        zone = ctx.legal_entity.time_zone if ctx.legal_entity else None
        try:
            if zone:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            return view(request, ctx, *args, **kwargs)
        except DomainError as error:
            template = "storeapp/_problem.html" if request.htmx else "storeapp/problem.html"
            # htmx swaps only successful answers; the message is the content either way.
            status = 200 if request.htmx else error.status
            context = {"ctx": ctx, "error": error, "back": _way_back(request)}
            return render(request, template, context, status=status)
        finally:
            timezone.deactivate()

    return wrapper


def _way_back(request: HttpRequest) -> str | None:
    """The page a problem page links back to: the page the user came from, on this site and
    not the one that failed; None when there is no such page (the home link remains)."""
    referer = request.META.get("HTTP_REFERER", "")
    if (
        referer
        and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure())
        and not referer.endswith(request.get_full_path())
    ):
        return referer
    return None


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default


@store_view
def home(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    scope = ctx.require_scope()
    page = pages.landing_page(actor=scope.actor, legal_entity=scope.legal_entity)
    return redirect(f"storeapp:{page}")


def _card_params(request: HtmxHttpRequest) -> QueryDict:
    """The page's filters, dates read in the app's language; a coming-date filter with no
    order chosen sorts by that date, soonest first."""
    return card_params(request.GET, suggested_sort=selectors.suggested_sort(request.GET))


def _card_list(request: HtmxHttpRequest, ctx: StoreContext, listing: CardListPage) -> HttpResponse:
    scope = ctx.require_scope()
    panel = filter_panel(listing.attributes, request.GET)
    suggested = selectors.suggested_sort(request.GET)
    today = selectors.local_today(scope.legal_entity)
    cue_days = max([CUE_DAYS, *panel.upcoming_days])
    context = {
        "ctx": ctx,
        "page": listing.page,
        "cards": cards_html(
            card_views(
                listing.page.items if listing.page else [],
                today=today,
                cue_days=cue_days,
                store_view=listing.store_view,
            ),
            selectable=listing.may_reassign and listing.store_view,
        ),
        "count": listing.count if not request.GET.get("cursor") else None,
        "panel": panel,
        "sorted_by": next(
            (c.label for c in panel.controls if f"upcoming.{c.code}" == suggested), None
        ),
        "filter_error": listing.filter_error,
        "store_view": listing.store_view,
        "associates": listing.associates,
        "may_reassign": listing.may_reassign,
        "may_remove": listing.may_remove,
        "query": request.GET.urlencode(),
        # Export offers the page as filtered, to whoever may view it (R-IO-3).
        "may_export": ctx.may(
            Operation.VIEW_STORE_BOOKS if listing.store_view else Operation.VIEW_OWN_BOOK
        ),
    }
    context["nav"] = "store" if listing.store_view else "book"
    if request.htmx and request.GET.get("cursor"):
        return render(request, "storeapp/_cards.html", context)
    if request.htmx and request.htmx.target in ("results", "results-body"):
        return render(request, "storeapp/_results.html", context)
    context["filters_html"] = _filters_html(request, ctx, listing, context)
    return render(request, "storeapp/cards_page.html", context)


def _filters_html(
    request: HtmxHttpRequest, ctx: StoreContext, listing: CardListPage, context: dict[str, Any]
) -> str:
    """The filter panel, as rendered for the same legal entity, page, language and filters:
    it shows HQ's attributes and, in the store view, the store's associates, and nothing of
    the reader, so it is kept with HQ's settings and dropped with them or with a change of
    who works where."""
    scope = ctx.require_scope()
    params = request.GET.copy()
    params.pop("cursor", None)
    parts = [
        str(scope.legal_entity.pk),
        translation.get_language() or "en",
        request.path,
        # The store view lists the store's associates.
        f"{ctx.store.pk}:{ACCESS.current()}" if listing.store_view and ctx.store else "",
        params.urlencode(),
    ]
    key = "filters:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return SETTINGS.cached(
        key, lambda: render_to_string("storeapp/_filters.html", context, request)
    )


@store_view
def book(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """My client book: cards, filters, sort, paging (R-BOOK-5..7)."""
    scope = ctx.require_scope()
    listing = pages.book_page(
        actor=scope.actor, legal_entity=scope.legal_entity, params=_card_params(request)
    )
    return _card_list(request, ctx, listing)


@store_view
def store_books(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """The store's client books, with whose book each customer is in (R-BOOK-9)."""
    scope = ctx.require_scope()
    listing = pages.store_books_page(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        store=ctx.store,
        params=_card_params(request),
    )
    return _card_list(request, ctx, listing)


def _download(file: exports.ExportFile) -> StreamingHttpResponse:
    response = StreamingHttpResponse(file.chunks, content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(True, file.filename) or ""
    if file.size is not None:
        response["Content-Length"] = str(file.size)
    return response


@store_view
@require_http_methods(["GET"])
def book_export(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponseBase:
    """My client book as filtered, every page of it, as a CSV or Excel file (R-IO-3)."""
    scope = ctx.require_scope()
    file_format = exports.export_format(request.GET.get("format"))
    export = exports.client_book_export(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        card_filter=selectors.card_filter_parse(
            legal_entity=scope.legal_entity, params=_card_params(request)
        ),
    )
    return _download(exports.export_file(export, file_format))


@store_view
@require_http_methods(["GET"])
def store_books_export(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponseBase:
    """The store's client books as filtered, every page, as a CSV or Excel file (R-IO-3)."""
    scope = ctx.require_scope()
    file_format = exports.export_format(request.GET.get("format"))
    export = exports.store_client_books_export(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        store=ctx.store,
        card_filter=selectors.card_filter_parse(
            legal_entity=scope.legal_entity, params=_card_params(request)
        ),
    )
    return _download(exports.export_file(export, file_format))


@store_view
def search(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """Customer search in the store's address books, or all stores (R-SRCH-1)."""
    scope = ctx.require_scope()
    query = request.GET.get("q", "").strip()
    found = pages.search_page(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        store=ctx.store,
        query=query,
        all_stores=request.GET.get("all_stores") in ("on", "true", "1"),
    )
    context = {
        "ctx": ctx,
        "query": query,
        "all_stores": found.all_stores,
        "storeless": ctx.store is None,
        "rows": found.rows,
        "found_rows": found_rows_html(
            found.rows,
            me=ctx.worker.pk,
            addable=found.addable,
            csrf_token=get_token(request),
            next_path=request.get_full_path(),
        ),
        "more": found.more,
        "total": found.total,
        "capped": found.capped,
        "error": found.error,
        "may_add": found.may_add,
        "addable": found.addable,
        "me": ctx.worker.pk,
        "nav": "search",
    }
    template = "storeapp/_search_results.html" if request.htmx else "storeapp/search.html"
    return render(request, template, context)


@dataclass
class Redisplay:
    """A form that failed: the customer page is shown again with the error beside the field
    and what was typed kept."""

    error: Invalid
    attributes: dict[str, str] | None = None
    activity: QueryDict | None = None
    note: QueryDict | None = None


def _customer_page(
    request: HtmxHttpRequest, ctx: StoreContext, account: str, failed: Redisplay | None = None
) -> HttpResponse:
    scope = ctx.require_scope()
    page = pages.customer_page(actor=scope.actor, legal_entity=scope.legal_entity, account=account)
    attribute_error = failed.error if failed and failed.attributes is not None else None
    timeline_error = failed.error if failed and failed.attributes is None else None
    # Appointments are booked, not recorded, while booking is open (R-APPT-1).
    recordable = engagement_selectors.activity_types_to_record(legal_entity=scope.legal_entity)
    context = {
        "ctx": ctx,
        # The page reads first; its attribute form opens on "Edit", and stays open on an error.
        "editing": page.may_edit
        and (request.GET.get("edit") == "attributes" or attribute_error is not None),
        "today": selectors.local_today(scope.legal_entity),
        "cue_days": CUE_DAYS,
        "date_hint": date_pattern(),
        "datetime_hint": datetime_pattern(),
        "customer": page.customer,
        "memberships": page.memberships,
        "in_my_book": page.in_my_book,
        "fields": attribute_fields(
            page.attributes, failed.attributes if failed else None, attribute_error
        ),
        "attribute_error": attribute_error,
        "may_edit": page.may_edit,
        "may_add": page.may_add,
        "may_remove": page.may_remove,
        "timeline": page.timeline,
        "appointments": page.appointments,
        "activity_types": recordable.types,
        "appointments_booked": recordable.booked,
        "timeline_error": timeline_error,
        "activity_form": failed.activity if failed else None,
        "note_form": failed.note if failed else None,
        "purchase_summary": sales_selectors.purchase_summary(
            actor=scope.actor, customer=page.customer
        ),
        "purchases": sales_selectors.purchases(actor=scope.actor, customer=page.customer),
    }
    return render(request, "storeapp/customer.html", context, status=422 if failed else 200)


@store_view
@require_http_methods(["GET", "POST"])
def customer(request: HtmxHttpRequest, ctx: StoreContext, account: str) -> HttpResponse:
    """A customer's details; each form on the page posts its ``action`` here, and one
    handler per action calls one service."""
    if request.method == "GET":
        return _customer_page(request, ctx, account)
    scope = ctx.require_scope()
    found = customer_selectors.customer_get(
        actor=scope.actor, legal_entity=scope.legal_entity, account=account
    )
    handler = CUSTOMER_ACTIONS.get(request.POST.get("action", ""))
    here = reverse("storeapp:customer", args=[found.account])
    try:
        if handler is None:
            raise Invalid(_("Unknown action."), field="action", rule="allowed_values")
        outcome = handler(request, ctx, found)
    except Invalid as error:
        if request.POST.get("action") in REDISPLAYED:
            return _customer_page(
                request, ctx, account, REDISPLAYED[request.POST["action"]](request, error)
            )
        messages.error(request, str(error.message))
        return HttpResponseRedirect(_safe_next(request, here))
    except DomainError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(_safe_next(request, here))
    messages.add_message(request, outcome.level, outcome.message)
    return HttpResponseRedirect(outcome.redirect or _safe_next(request, here))


@dataclass
class Done:
    message: str
    redirect: str | None = None
    level: int = messages.SUCCESS


def _add(request: HtmxHttpRequest, ctx: StoreContext, found: Customer) -> Done:
    added = book_services.client_book_add_customers(
        actor=ctx.worker, legal_entity=found.legal_entity, customers=[found]
    )
    if not added:
        return Done(
            _("%(name)s is already in your client book.") % {"name": found.display_name},
            level=messages.INFO,
        )
    return Done(_("%(name)s is now in your client book.") % {"name": found.display_name})


def _remove(request: HtmxHttpRequest, ctx: StoreContext, found: Customer) -> Done:
    book_services.client_book_remove_customers(
        actor=ctx.worker, legal_entity=found.legal_entity, customers=[found]
    )
    return Done(_("%(name)s was removed from your client book.") % {"name": found.display_name})


def _submitted_attributes(request: HtmxHttpRequest) -> dict[str, str]:
    prefix = "attr-"
    post = request.POST
    return {k.removeprefix(prefix): post.get(k, "") for k in post if k.startswith(prefix)}


def _attributes(request: HtmxHttpRequest, ctx: StoreContext, found: Customer) -> Done:
    dates = {
        a.code
        for a in selectors.client_book_attributes(found.legal_entity)
        if a.data_type == DataType.DATE
    }
    book_services.customer_attributes_set(
        actor=ctx.worker,
        customer=found,
        values=attribute_input(_submitted_attributes(request), dates),
    )
    return Done(_("Attribute values saved."), reverse("storeapp:customer", args=[found.account]))


def _timeline_done(found: Customer, message: str) -> Done:
    return Done(message, reverse("storeapp:customer", args=[found.account]) + "#timeline")


def _activity(request: HtmxHttpRequest, ctx: StoreContext, found: Customer) -> Done:
    post = request.POST
    zone = timezone.get_current_timezone_name()
    engagement_services.activity_record(
        actor=ctx.worker,
        customer=found,
        type_code=post.get("type", ""),
        subject=post.get("subject", ""),
        description=post.get("description", ""),
        occurred_at=local_datetime(
            post.get("occurred_at", ""), time_zone=zone, field_name="occurred_at"
        ),
        store=ctx.store,
        scheduled_start=local_datetime(
            post.get("scheduled_start", ""), time_zone=zone, field_name="scheduled_start"
        ),
        duration_minutes=whole_number(
            post.get("duration_minutes", ""),
            field_name="duration_minutes",
            message=_("Enter the duration in whole minutes."),
        ),
    )
    return _timeline_done(found, _("Activity recorded."))


def _note(request: HtmxHttpRequest, ctx: StoreContext, found: Customer) -> Done:
    timeline_services.note_create(
        actor=ctx.worker, customer=found, text=request.POST.get("text", "")
    )
    return _timeline_done(found, _("Note saved."))


def _posted_note(request: HtmxHttpRequest, ctx: StoreContext, found: Customer) -> Note:
    note_id = whole_number(
        request.POST.get("note", ""), field_name="note", message=_("Note not found.")
    )
    return timeline_selectors.note_get(actor=ctx.worker, customer=found, note_id=note_id or 0)


def _note_edit(request: HtmxHttpRequest, ctx: StoreContext, found: Customer) -> Done:
    note = _posted_note(request, ctx, found)
    timeline_services.note_update(actor=ctx.worker, note=note, text=request.POST.get("text", ""))
    return _timeline_done(found, _("Note changed."))


def _note_delete(request: HtmxHttpRequest, ctx: StoreContext, found: Customer) -> Done:
    timeline_services.note_delete(actor=ctx.worker, note=_posted_note(request, ctx, found))
    return _timeline_done(found, _("Note deleted."))


CUSTOMER_ACTIONS: dict[str, Callable[[HtmxHttpRequest, StoreContext, Customer], Done]] = {
    "add": _add,
    "remove": _remove,
    "attributes": _attributes,
    "activity": _activity,
    "note": _note,
    "note-edit": _note_edit,
    "note-delete": _note_delete,
}
# Forms whose errors are shown beside their fields, with what was typed.
REDISPLAYED: dict[str, Callable[[HtmxHttpRequest, Invalid], Redisplay]] = {
    "attributes": lambda request, error: Redisplay(
        error, attributes=_submitted_attributes(request)
    ),
    "activity": lambda request, error: Redisplay(error, activity=request.POST),
    "note": lambda request, error: Redisplay(error, note=request.POST),
    "note-edit": lambda request, error: Redisplay(error),
    "note-delete": lambda request, error: Redisplay(error),
}


@store_view
@require_http_methods(["GET"])
def customer_timeline(request: HtmxHttpRequest, ctx: StoreContext, account: str) -> HttpResponse:
    """The next page of a customer's timeline ("Show more")."""
    scope = ctx.require_scope()
    found = customer_selectors.customer_get(
        actor=scope.actor, legal_entity=scope.legal_entity, account=account
    )
    page = timeline_selectors.timeline(
        actor=scope.actor, customer=found, cursor=request.GET.get("cursor") or None
    )
    template = "storeapp/_timeline.html" if request.htmx else "storeapp/timeline.html"
    return render(request, template, {"ctx": ctx, "customer": found, "timeline": page})


@store_view
@require_http_methods(["GET"])
def customer_purchases(request: HtmxHttpRequest, ctx: StoreContext, account: str) -> HttpResponse:
    """The next page of a customer's purchase history ("Show more", R-SALE-2)."""
    scope = ctx.require_scope()
    found = customer_selectors.customer_get(
        actor=scope.actor, legal_entity=scope.legal_entity, account=account
    )
    page = sales_selectors.purchases(
        actor=scope.actor, customer=found, cursor=request.GET.get("cursor") or None
    )
    template = "storeapp/_purchases.html" if request.htmx else "storeapp/purchases.html"
    return render(request, template, {"ctx": ctx, "customer": found, "purchases": page})


@store_view
@require_http_methods(["GET", "POST"])
def reassign(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """Move selected customers, or all that match the filter, to another associate of the
    store (R-BOOK-4, R-SEC-4)."""
    scope = ctx.require_scope()
    source = request.POST if request.method == "POST" else request.GET
    query = source.get("query", "")
    everything = source.get("scope") == "matching"
    back = reverse("storeapp:store_books") + (f"?{query}" if query else "")
    accounts = [a for a in source.getlist("customers") if a]
    if not everything and not accounts:
        # Nothing ticked: back to the same view, its filter kept, saying what to do.
        messages.warning(request, _("Tick the customers to reassign first, then try again."))
        return redirect(back)
    selection = pages.reassign_selection(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        store=ctx.store,
        accounts=accounts,
        matching=card_params(QueryDict(query)) if everything else None,
    )
    customers = selection.customers
    chosen = source.get("to_worker", "").strip() if request.method == "POST" else ""
    target = None
    choice_error = None
    if request.method == "POST" and not source.get("change"):
        # Choose the associate, then confirm a sentence that says from whom and to whom.
        try:
            if not chosen:
                raise Invalid(
                    _("Choose the associate whose client book receives them."),
                    field="to_worker",
                    rule="required",
                )
            target = worker_get(legal_entity=scope.legal_entity, username=chosen, field="to_worker")
        except (Invalid, NotFound) as error:
            choice_error = error
    if target is not None and source.get("confirm") == "yes":
        moved = book_services.customers_reassign(
            actor=scope.actor,
            legal_entity=scope.legal_entity,
            customers=customers,
            to_worker=target,
            store=ctx.store,
        )
        messages.success(
            request,
            ngettext(
                "%(count)d customer moved to the client book of %(worker)s.",
                "%(count)d customers moved to the client book of %(worker)s.",
                moved,
            )
            % {"count": moved, "worker": str(target)},
        )
        return redirect(back)
    context = {
        "ctx": ctx,
        "owners": selection.owners,
        "back": back,
        "target": target,
        "choice_error": choice_error,
        "customers": customers[:200],
        "more": max(0, len(customers) - 200),
        "total": len(customers),
        # "All that match" is carried as the filter, not as thousands of account numbers.
        "everything": everything,
        "accounts": [] if everything else [c.account for c in customers],
        "associates": selection.associates,
        "query": query,
    }
    return render(request, "storeapp/reassign.html", context, status=422 if choice_error else 200)


@login_required
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    """Choose the legal entity and store to work in."""
    switch_context(
        request,
        legal_entity=request.POST.get("legal_entity", ""),
        store=request.POST.get("store") or None,
    )
    return redirect(_safe_next(request, reverse("storeapp:home")))


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the language (R-UX-2): remembered for the logged-in worker on every device,
    and in this browser (for the login page); a language not offered changes nothing."""
    target = _safe_next(request, reverse("storeapp:home"))
    worker = getattr(request.user, "worker", None) if request.user.is_authenticated else None
    try:
        language = language_validate(request.POST.get("language", ""))
        if worker is not None:
            worker_language_set(worker=worker, language=language)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(target)
    translation.activate(language)
    response = redirect(target)
    remember_language(response, language)
    return response
