"""``manage.py refresh_purchase_facts``: the daily run that keeps the cards' purchase facts
(R-SALE-3) true as the 12- and 24-month windows move on, with no sale arriving to do it.
Schedule it once a night (cron, a systemd timer, the platform's scheduler); a few nights
missed are caught up with ``--days``, anything else with ``--all``."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from clienteling.clientbooks.readmodel import purchase_facts_refresh
from clienteling.organization.models import LegalEntity


class Command(BaseCommand):
    help = (
        "Bring the purchase facts of the cards (last purchase, spend and visits in 12 months, "
        "favourite category) up to date for the day: once a night."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--legal-entity", metavar="CODE", help="only this legal entity (default: all)"
        )
        parser.add_argument(
            "--days",
            type=int,
            default=7,
            help="recompute the customers whose sales left a window in the last N days "
            "(default 7: a week of missed nights is caught up)",
        )
        parser.add_argument(
            "--all", action="store_true", help="recompute every customer in a client book"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1.")
        entities = LegalEntity.objects.order_by("code")
        if options["legal_entity"]:
            entities = entities.filter(code=options["legal_entity"])
            if not entities.exists():
                raise CommandError(f"Legal entity {options['legal_entity']} not found.")
        for entity in entities:
            started = time.monotonic()
            with transaction.atomic():
                count = purchase_facts_refresh(
                    legal_entity=entity, days=None if options["all"] else days
                )
            self.stdout.write(
                f"{entity.code}: purchase facts of {count:,} customers brought up to date "
                f"in {time.monotonic() - started:,.1f} s"
            )
