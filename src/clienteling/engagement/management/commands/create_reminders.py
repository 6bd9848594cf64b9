"""Daily: the follow-ups of HQ's reminder rules (R-TASK-2), for cron. Safe to run twice or late."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clienteling.engagement.services import outreach_outcomes_record, reminders_create
from clienteling.organization.models import LegalEntity


class Command(BaseCommand):
    help = (
        "Create today's reminder follow-ups (once per customer and occasion) and record the "
        "purchases that followed outreach, for every legal entity or one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--legal-entity", help="only this legal entity (code)")
        parser.add_argument("--date", help="run as of this day (YYYY-MM-DD; default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        entities = LegalEntity.objects.order_by("code")
        if options["legal_entity"]:
            entities = entities.filter(code=options["legal_entity"])
            if not entities.exists():
                raise CommandError(f"no legal entity {options['legal_entity']}")
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD") from None
        for legal_entity in entities:
            made = reminders_create(legal_entity=legal_entity, today=day)
            outcomes = outreach_outcomes_record(legal_entity=legal_entity)
            self.stdout.write(
                f"{legal_entity.code}: {made} reminders created, {outcomes} outreach outcomes"
            )
