"""The demo's purchase history (CONTRACT.md "Demo additions"): a few purchases per customer
over three years, some in the last 30 days, a few returns, online orders and purchases
abroad; written through ``sales_upsert`` as an import would.

Deterministic (seeded random) apart from "today"; skipped for a legal entity that already
has sales, so a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from clienteling.customers.models import Customer
from clienteling.organization.models import LegalEntity, Store
from clienteling.sales.models import SaleLine
from clienteling.sales.services import sales_upsert

SEED = 20261124
YEARS = 3
RECENT_DAYS = 30
BATCH = 2000
# (code, name, lowest and highest price in euros) per category.
CATALOGUE: dict[str, list[tuple[str, str, int, int]]] = {
    "Handbags": [
        ("HB-LUNA-M", "Luna bag, medium", 1450, 2900),
        ("HB-VELA-T", "Vela tote", 890, 1600),
        ("HB-FIORE-C", "Fiore clutch", 620, 1150),
    ],
    "Shoes": [
        ("SH-GEMMA-P", "Gemma pumps", 590, 890),
        ("SH-ELARA-L", "Elara loafers", 480, 760),
        ("SH-DORATO-B", "Dorato ankle boots", 790, 1290),
    ],
    "Jewellery": [
        ("JW-LUNA-18", "Luna pendant, 18k gold", 1200, 3800),
        ("JW-AURORA-R", "Aurora ring, diamonds", 2400, 9800),
        ("JW-BELLINI-E", "Bellini earrings", 650, 2200),
    ],
    "Watches": [
        ("WA-CASTELLO-36", "Castello 36 mm", 3900, 8900),
        ("WA-VELA-CHR", "Vela chronograph", 5200, 14500),
    ],
    "Ready-to-wear": [
        ("RW-SILK-SH", "Silk shirt", 390, 690),
        ("RW-CASH-CO", "Cashmere coat", 1900, 3900),
        ("RW-WOOL-DR", "Wool dress", 690, 1250),
    ],
}
CATEGORIES = list(CATALOGUE)
# One purchase in two hundred was paid abroad, in another currency.
ABROAD = ["USD", "CHF", "GBP"]


def seed_sales(
    entity: LegalEntity,
    *,
    today: dt.date,
    progress: Callable[[str], None] = lambda text: None,
) -> int:
    """Sales lines for every customer of ``entity``; 0 when it already has some."""
    if SaleLine.objects.filter(legal_entity=entity).exists():
        return 0
    rng = random.Random(f"{SEED}-{entity.code}-sales")
    stores = list(
        Store.objects.filter(legal_entity=entity).order_by("code").values_list("code", flat=True)
    )
    accounts = list(
        Customer.objects.filter(legal_entity=entity)
        .order_by("account")
        .values_list("account", flat=True)
    )
    lines: list[dict[str, str]] = []
    written = 0
    number = 0
    for account in accounts:
        # Each customer has a taste: most of what they buy is in one or two categories.
        taste = rng.sample(CATEGORIES, 2)
        visits = rng.randrange(1, 7)
        days = [rng.randrange(RECENT_DAYS + 1, 365 * YEARS) for _ in range(visits)]
        if rng.random() < 0.15:
            days[0] = rng.randrange(1, RECENT_DAYS + 1)
        home = rng.choice(stores) if stores else ""
        for days_ago in sorted(days, reverse=True):
            number += 1
            day = today - dt.timedelta(days=days_ago)
            moment = f"{day.isoformat()}T{rng.randrange(10, 19):02d}:{rng.randrange(60):02d}:00"
            online = not stores or rng.random() < 0.2
            store = "" if online else (home if rng.random() < 0.8 else rng.choice(stores))
            transaction = f"{store or 'WEB'}-{day.year}-{number:07d}"
            currency = rng.choice(ABROAD) if rng.random() < 0.005 else ""
            for line in range(1, rng.choice([1, 1, 1, 2, 2, 3]) + 1):
                category = rng.choice(taste) if rng.random() < 0.8 else rng.choice(CATEGORIES)
                code, name, low, high = rng.choice(CATALOGUE[category])
                price = rng.randrange(low, high + 1, 10)
                lines.append(
                    {
                        "transaction": transaction,
                        "line": str(line),
                        "account": account,
                        "sold_at": moment,
                        "store": store,
                        "product": code,
                        "product_name": name,
                        "category": category,
                        "quantity": "1",
                        "amount": f"{price}.00",
                        "currency": currency,
                    }
                )
            # Now and then the last item is brought back a few days later.
            if rng.random() < 0.03 and days_ago > 10:
                bought = lines[-1]
                returned = day + dt.timedelta(days=rng.randrange(2, 10))
                lines.append(
                    {
                        **bought,
                        "transaction": f"{store or 'WEB'}-R-{number:07d}",
                        "line": "1",
                        "sold_at": f"{returned.isoformat()}T12:00:00",
                        "quantity": "-1",
                        "amount": f"-{bought['amount']}",
                    }
                )
        if len(lines) >= BATCH:
            written += _write(entity, lines)
            lines = []
            progress(f"{entity.code}: {written:,} sales lines")
    return written + _write(entity, lines)


def _write(entity: LegalEntity, lines: list[dict[str, str]]) -> int:
    refused = sales_upsert(legal_entity=entity, lines=lines)
    if refused:
        index, error = next(iter(refused.items()))
        raise RuntimeError(f"demo sales line {lines[index]} refused: {error.message}")
    return len(lines)
