"""The associates' pages. Each view parses input, calls one selector or service, and renders."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from clienteling.clientbooks import selectors as books
from clienteling.clientbooks import services as book_services
from clienteling.clientbooks.permissions import Operation, require
from clienteling.core.errors import DomainError, FeatureDisabled, Forbidden, Invalid
from clienteling.core.pagination import page_limit
from clienteling.customers import selectors as customer_selectors
from clienteling.customers.models import Customer
from clienteling.organization.selectors import worker_get
from clienteling.storeapp.context import StoreContext, store_context, switch_context
from clienteling.storeapp.forms import (
    attribute_fields,
    filter_panel,
    local_datetime,
    whole_minutes,
)
from clienteling.timeline import selectors as timeline_selectors
from clienteling.timeline import services as timeline_services

View = Callable[..., HttpResponse]


class HtmxHttpRequest(HttpRequest):
    """A request as HtmxMiddleware leaves it."""

    htmx: HtmxDetails


def store_view(view: View) -> View:
    """Log-in required; resolves the worker's context; renders domain errors as a readable
    message in the user's language with their status, never an error page."""

    @login_required
    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            ctx = store_context(request)
        except Forbidden as error:
            return render(request, "storeapp/problem.html", {"error": error}, status=error.status)
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
            return render(request, template, {"ctx": ctx, "error": error}, status=status)
        finally:
            timezone.deactivate()

    return wrapper


def _require_legal_entity(ctx: StoreContext) -> None:
    if ctx.legal_entity is None:
        raise Forbidden(_("You are not employed by any legal entity."), operation="legal_entity")


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default


@store_view
def home(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    if ctx.clienteling_enabled and ctx.may(Operation.VIEW_OWN_BOOK):
        return redirect("storeapp:book")
    if ctx.clienteling_enabled and ctx.may(Operation.VIEW_STORE_BOOKS):
        return redirect("storeapp:store_books")
    return redirect("storeapp:search")


def _card_list(
    request: HtmxHttpRequest, ctx: StoreContext, *, store_view_page: bool
) -> HttpResponse:
    _require_legal_entity(ctx)
    assert ctx.legal_entity is not None
    template = "storeapp/cards_page.html"
    if not ctx.clienteling_enabled:
        error = FeatureDisabled(
            _("Clienteling is turned off for %(le)s. HQ can turn it on in the back office.")
            % {"le": ctx.legal_entity.code}
        )
        return render(request, "storeapp/problem.html", {"ctx": ctx, "error": error}, status=403)
    operation = Operation.VIEW_STORE_BOOKS if store_view_page else Operation.VIEW_OWN_BOOK
    require(ctx.worker, operation)
    parameters = books.parameters_for(ctx.legal_entity)
    attributes = books.group_attributes(parameters)
    panel = filter_panel(attributes, request.GET)
    filter_error: Invalid | None = None
    page = None
    count = None
    try:
        card_filter = books.card_filter_parse(legal_entity=ctx.legal_entity, params=request.GET)
        limit = page_limit(request.GET.get("limit"))
        cursor = request.GET.get("cursor") or None
        if store_view_page:
            if ctx.store is None:
                raise Invalid(_("Choose a store first."), field="store", rule="required")
            page = books.store_client_book_cards(
                actor=ctx.worker,
                legal_entity=ctx.legal_entity,
                store=ctx.store,
                card_filter=card_filter,
                cursor=cursor,
                limit=limit,
            )
        else:
            page = books.client_book_cards(
                actor=ctx.worker,
                legal_entity=ctx.legal_entity,
                card_filter=card_filter,
                cursor=cursor,
                limit=limit,
            )
        if not cursor:
            count = page.total
    except Invalid as error:
        filter_error = error
    context = {
        "ctx": ctx,
        "page": page,
        "count": count,
        "panel": panel,
        "filter_error": filter_error,
        "store_view": store_view_page,
        "nav": "store" if store_view_page else "book",
        "associates": books.store_associates(store=ctx.store)
        if store_view_page and ctx.store
        else [],
        "may_reassign": ctx.may(Operation.REASSIGN_CUSTOMERS),
        "may_remove": ctx.may(Operation.REMOVE_CUSTOMERS) and not store_view_page,
        "query": request.GET.urlencode(),
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "storeapp/_cards.html", context)
    if request.htmx and request.htmx.target == "results":
        return render(request, "storeapp/_results.html", context)
    return render(request, template, context)


@store_view
def book(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """My client book: cards, filters, sort, paging (R-BOOK-5..7)."""
    return _card_list(request, ctx, store_view_page=False)


@store_view
def store_books(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """The store's client books, with whose book each customer is in (R-BOOK-9)."""
    return _card_list(request, ctx, store_view_page=True)


@store_view
def search(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """Customer search in the store's address books, or all stores (R-SRCH-1)."""
    _require_legal_entity(ctx)
    assert ctx.legal_entity is not None
    require(ctx.worker, Operation.READ_CUSTOMER_DETAILS)
    query = request.GET.get("q", "").strip()
    # A worker with no store (customer service, HQ) has only the legal entity to search.
    all_stores = request.GET.get("all_stores") in ("on", "true", "1") or ctx.store is None
    results: list[Any] = []
    error = None
    if query:
        try:
            found = customer_selectors.customer_search(
                actor=ctx.worker,
                scope=customer_selectors.SearchScope(ctx.legal_entity, ctx.store, all_stores),
                query=query,
            )
            results = list(found[:50])
        except Invalid as invalid:
            error = invalid
    memberships = books.books_of_customers(legal_entity=ctx.legal_entity, customers=results)
    rows = [(customer, memberships.get(customer.id, [])) for customer in results]
    context = {
        "ctx": ctx,
        "query": query,
        "all_stores": all_stores,
        "storeless": ctx.store is None,
        "rows": rows,
        "error": error,
        "may_add": ctx.clienteling_enabled and ctx.may(Operation.ADD_CUSTOMER),
        "nav": "search",
    }
    template = "storeapp/_search_results.html" if request.htmx else "storeapp/search.html"
    return render(request, template, context)


@store_view
@require_http_methods(["GET", "POST"])
def customer(request: HtmxHttpRequest, ctx: StoreContext, account: str) -> HttpResponse:
    """A customer's details: contact, attribute values (editable), books, and operations."""
    _require_legal_entity(ctx)
    assert ctx.legal_entity is not None
    require(ctx.worker, Operation.READ_CUSTOMER_DETAILS)
    found = customer_selectors.customer_get(
        actor=ctx.worker, legal_entity=ctx.legal_entity, account=account
    )
    here = reverse("storeapp:customer", args=[found.account])
    attribute_error: Invalid | None = None
    timeline_error: Invalid | None = None
    submitted: dict[str, str] | None = None
    submitted_timeline: dict[str, QueryDict] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add":
                book_services.client_book_add_customers(
                    actor=ctx.worker, legal_entity=ctx.legal_entity, customers=[found]
                )
                messages.success(
                    request,
                    _("%(name)s is now in your client book.") % {"name": found.display_name},
                )
            elif action == "remove":
                book_services.client_book_remove_customers(
                    actor=ctx.worker, legal_entity=ctx.legal_entity, customers=[found]
                )
                messages.success(
                    request,
                    _("%(name)s was removed from your client book.") % {"name": found.display_name},
                )
            elif action == "attributes":
                parameters = books.parameters_for(ctx.legal_entity)
                codes = [a.code for a in books.group_attributes(parameters)]
                submitted = {code: request.POST.get(f"attr-{code}", "") for code in codes}
                try:
                    book_services.customer_attributes_set(
                        actor=ctx.worker, customer=found, values=submitted
                    )
                except Invalid as error:
                    attribute_error = error
                else:
                    messages.success(request, _("Attribute values saved."))
                    return HttpResponseRedirect(here)
            elif action in TIMELINE_ACTIONS:
                try:
                    done = _timeline_action(request, ctx, found, action)
                except Invalid as error:
                    timeline_error = error
                    submitted_timeline = {action: request.POST}
                else:
                    messages.success(request, done)
                    return HttpResponseRedirect(here + "#timeline-h")
            else:
                raise Invalid(_("Unknown action."), field="action", rule="allowed_values")
        except DomainError as error:
            messages.error(request, str(error.message))
        if attribute_error is None and timeline_error is None:
            return HttpResponseRedirect(_safe_next(request, here))
    parameters = books.parameters_for(ctx.legal_entity)
    attributes = books.group_attributes(parameters)
    memberships = books.customer_books(legal_entity=ctx.legal_entity, customer=found)
    in_my_book = any(m.book.owner_id == ctx.worker.id for m in memberships)
    context = {
        "ctx": ctx,
        "customer": found,
        "memberships": memberships,
        "in_my_book": in_my_book,
        "fields": attribute_fields(attributes, found, submitted, attribute_error),
        "attribute_error": attribute_error,
        "may_edit": ctx.may(Operation.EDIT_CUSTOMER_ATTRIBUTES),
        "may_add": ctx.clienteling_enabled and ctx.may(Operation.ADD_CUSTOMER) and not in_my_book,
        "may_remove": ctx.clienteling_enabled
        and ctx.may(Operation.REMOVE_CUSTOMERS)
        and in_my_book,
    }
    context.update(
        {
            "timeline": timeline_selectors.timeline(actor=ctx.worker, customer=found),
            "appointments": timeline_selectors.upcoming_appointments(
                actor=ctx.worker, customer=found
            ),
            "activity_types": timeline_selectors.activity_types(legal_entity=ctx.legal_entity),
            "timeline_error": timeline_error,
            "activity_form": submitted_timeline.get("activity"),
            "note_form": submitted_timeline.get("note"),
            "now_local": timezone.localtime(
                timezone=zoneinfo.ZoneInfo(ctx.legal_entity.time_zone)
            ).strftime("%Y-%m-%dT%H:%M"),
        }
    )
    failed = attribute_error or timeline_error
    return render(request, "storeapp/customer.html", context, status=422 if failed else 200)


TIMELINE_ACTIONS = ("activity", "note", "note-edit", "note-delete")


def _timeline_action(
    request: HtmxHttpRequest, ctx: StoreContext, found: Customer, action: str
) -> str:
    """Record an activity or write, correct or withdraw a note; the success message."""
    assert ctx.legal_entity is not None
    post = request.POST
    if action == "activity":
        zone = ctx.legal_entity.time_zone
        timeline_services.activity_record(
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
            duration_minutes=whole_minutes(
                post.get("duration_minutes", ""), field_name="duration_minutes"
            ),
        )
        return _("Activity recorded.")
    if action == "note":
        timeline_services.note_create(actor=ctx.worker, customer=found, text=post.get("text", ""))
        return _("Note saved.")
    note_id = whole_minutes(post.get("note", ""), field_name="note") or 0
    note = timeline_selectors.note_get(actor=ctx.worker, customer=found, note_id=note_id)
    if action == "note-edit":
        timeline_services.note_update(actor=ctx.worker, note=note, text=post.get("text", ""))
        return _("Note changed.")
    timeline_services.note_delete(actor=ctx.worker, note=note)
    return _("Note deleted.")


@store_view
@require_http_methods(["GET"])
def customer_timeline(request: HtmxHttpRequest, ctx: StoreContext, account: str) -> HttpResponse:
    """The next page of a customer's timeline ("Show more")."""
    _require_legal_entity(ctx)
    assert ctx.legal_entity is not None
    found = customer_selectors.customer_get(
        actor=ctx.worker, legal_entity=ctx.legal_entity, account=account
    )
    page = timeline_selectors.timeline(
        actor=ctx.worker, customer=found, cursor=request.GET.get("cursor") or None
    )
    template = "storeapp/_timeline.html" if request.htmx else "storeapp/timeline.html"
    return render(request, template, {"ctx": ctx, "customer": found, "timeline": page})


@store_view
@require_http_methods(["GET", "POST"])
def reassign(request: HtmxHttpRequest, ctx: StoreContext) -> HttpResponse:
    """Move selected customers, or all that match the filter, to another associate (R-BOOK-4)."""
    _require_legal_entity(ctx)
    assert ctx.legal_entity is not None
    require(ctx.worker, Operation.REASSIGN_CUSTOMERS)
    source = request.POST if request.method == "POST" else request.GET
    accounts = [a for a in source.getlist("customers") if a]
    query = source.get("query", "")
    everything = source.get("scope") == "matching"
    if everything:
        if ctx.store is None:
            raise Invalid(_("Choose a store first."), field="store", rule="required")
        card_filter = books.card_filter_parse(
            legal_entity=ctx.legal_entity, params=QueryDict(query)
        )
        accounts = books.store_matching_accounts(
            actor=ctx.worker,
            legal_entity=ctx.legal_entity,
            store=ctx.store,
            card_filter=card_filter,
        )
    customers = books.customers_by_accounts(
        actor=ctx.worker, legal_entity=ctx.legal_entity, accounts=accounts
    )
    if not customers:
        raise Invalid(_("Select at least one customer."), field="customers", rule="required")
    associates = books.store_associates(store=ctx.store) if ctx.store else []
    if request.method == "POST" and source.get("confirm") == "yes":
        target = worker_get(
            legal_entity=ctx.legal_entity, username=source.get("to_worker", ""), field="to_worker"
        )
        moved = book_services.customers_reassign(
            actor=ctx.worker, legal_entity=ctx.legal_entity, customers=customers, to_worker=target
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
        return redirect(reverse("storeapp:store_books") + (f"?{query}" if query else ""))
    context = {
        "ctx": ctx,
        "customers": customers[:200],
        "more": max(0, len(customers) - 200),
        "total": len(customers),
        # "All that match" is carried as the filter, not as thousands of account numbers.
        "everything": everything,
        "accounts": [] if everything else [c.account for c in customers],
        "associates": associates,
        "query": query,
    }
    return render(request, "storeapp/reassign.html", context)


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
