"""Make a bearer token for a worker; the token is the last line of stdout (shown once)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from clienteling.api.services import api_token_create
from clienteling.core.errors import DomainError
from clienteling.organization.models import Worker


class Command(BaseCommand):
    help = "Print a new API bearer token for the worker USERNAME (the last line of stdout)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Expire after this many days."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = (
            Worker.objects.select_related("user")
            .filter(user__username=options["username"], user__is_active=True)
            .first()
        )
        if worker is None:
            raise CommandError(f"No active worker with the username {options['username']!r}.")
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = timezone.now() + dt.timedelta(days=days) if days else None
        try:
            issued = api_token_create(owner=worker, name=options["name"], expires_at=expires_at)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stderr.write(
            f"Token {issued.record.prefix}… for {worker.username}"
            + (f", expires {expires_at:%Y-%m-%d %H:%M %Z}" if expires_at else "")
            + ". It is shown once; store it safely."
        )
        self.stdout.write(issued.token)
