"""Reading the purchase history and what it tells (R-SALE-2), scoped as customer details are."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from clienteling.core.pagination import DEFAULT_LIMIT, KeysetPage, SortKey, keyset_page
from clienteling.customers.models import Customer
from clienteling.customers.selectors import customer_scope
from clienteling.organization.models import LegalEntity, Worker
from clienteling.sales.models import SaleLine

# Newest first; the lines of one sale in their own order.
HISTORY_KEYS = [
    SortKey("sold_at", dt.datetime, descending=True),
    SortKey("transaction", str, descending=True),
    SortKey("line", int),
]
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Customers summed up per query: within any database's limit of query parameters.
CHUNK = 900


@dataclass(frozen=True)
class PurchaseSummary:
    """What a customer's purchases tell (R-SALE-2), in the legal entity's local days.

    A purchase is a line with a positive amount: a day with only returns is no visit and no
    purchase. ``visits_12m`` counts the distinct days with a purchase (SPEC: "distinct
    purchase days"): two receipts on one afternoon are one visit, which is how an associate
    counts them. Spend adds up the lines in the legal entity's ``currency`` (returns
    subtract); ``other_currency_lines`` is how many lines in another currency are left out
    of the sums. The favourite category is the one with the most spent in the last 24
    months, ties by name.
    """

    currency: str
    last_purchase: dt.date | None = None
    visits_12m: int = 0
    spend_12m: Decimal = ZERO
    lifetime_spend: Decimal = ZERO
    favourite_category: str | None = None
    other_currency_lines: int = 0


def local_today(legal_entity: LegalEntity) -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(legal_entity.time_zone))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def window_start(today: dt.date, years: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Where "the last 12 (24) months" begin: local midnight of the day after the same date
    one (two) years before ``today``, so the window holds 365 days (in a leap year, 366)
    up to and including today."""
    first = _years_before(today, years) + dt.timedelta(days=1)
    return dt.datetime.combine(first, dt.time.min, tzinfo=zone)


def purchase_facts(
    *, legal_entity: LegalEntity, customer_ids: Iterable[int], today: dt.date
) -> dict[int, PurchaseSummary]:
    """The purchase summary of each of these customers of the legal entity, as of ``today``
    (a local date), in two queries per 900 customers; no actor's scope: for the selectors
    below and for the services that keep the card rows' copies up to date."""
    zone = zoneinfo.ZoneInfo(legal_entity.time_zone)
    currency = legal_entity.currency
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    last_12m = Q(sold_at__gte=window_start(today, 1, zone), sold_at__lt=end)
    last_24m = Q(sold_at__gte=window_start(today, 2, zone), sold_at__lt=end)
    own = Q(currency=currency)
    bought = Q(amount__gt=0)
    ids = list(dict.fromkeys(customer_ids))
    result = {pk: PurchaseSummary(currency=currency) for pk in ids}
    for start in range(0, len(ids), CHUNK):
        lines = SaleLine.objects.filter(
            legal_entity=legal_entity, customer_id__in=ids[start : start + CHUNK]
        )
        figures = (
            lines.order_by()
            .values("customer_id")
            .annotate(
                last=Max("sold_at", filter=bought),
                visits=Count(
                    TruncDate("sold_at", tzinfo=zone), filter=bought & last_12m, distinct=True
                ),
                spend_12m=Sum("amount", filter=own & last_12m),
                lifetime=Sum("amount", filter=own),
                other=Count("id", filter=~own),
            )
        )
        # Summed here, not ordered in SQL: SQLite adds decimals as floats, and a tie
        # between categories must stay a tie.
        spent: dict[int, dict[str, Decimal]] = defaultdict(dict)
        by_category = (
            lines.filter(own & last_24m)
            .exclude(category="")
            .order_by()
            .values_list("customer_id", "category")
            .annotate(total=Sum("amount"))
        )
        for customer_id, category, total in by_category:
            spent[customer_id][category] = Decimal(total).quantize(CENT)
        for row in figures:
            pk = row["customer_id"]
            favourite = min(
                ((-total, name) for name, total in spent[pk].items() if total > 0), default=None
            )
            result[pk] = PurchaseSummary(
                currency=currency,
                last_purchase=timezone.localtime(row["last"], zone).date() if row["last"] else None,
                visits_12m=row["visits"],
                spend_12m=Decimal(row["spend_12m"] or 0).quantize(CENT),
                lifetime_spend=Decimal(row["lifetime"] or 0).quantize(CENT),
                favourite_category=favourite[1] if favourite else None,
                other_currency_lines=row["other"],
            )
    return result


def purchase_summary(
    *, actor: Worker, customer: Customer, today: dt.date | None = None
) -> PurchaseSummary:
    """The customer's purchase summary (R-SALE-2) as of ``today`` (default: today in the
    legal entity), to whoever may read the customer's details."""
    scope = customer_scope(actor, customer)
    legal_entity = scope.legal_entity
    day = today or local_today(legal_entity)
    return purchase_facts(legal_entity=legal_entity, customer_ids=[customer.pk], today=day)[
        customer.pk
    ]


def purchases(
    *, actor: Worker, customer: Customer, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> KeysetPage[SaleLine]:
    """The customer's sales lines, newest first, a page at a time (R-SALE-2), to whoever
    may read the customer's details."""
    scope = customer_scope(actor, customer)
    return keyset_page(
        SaleLine.objects.filter(legal_entity=scope.legal_entity, customer=customer).select_related(
            "store"
        ),
        keys=HISTORY_KEYS,
        cursor=cursor,
        limit=limit,
    )
