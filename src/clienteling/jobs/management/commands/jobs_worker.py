"""``make worker``: run background jobs with the queue's own worker (django-tasks-db's
``db_worker``, or RQ's ``rqworker`` when TASKS_BACKEND=redis)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run background jobs until stopped (or, with --batch, until the queue is empty)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="stop once the queue is empty")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TASKS_BACKEND == "redis":
            extra = ["--burst"] if options["batch"] else []
            # RQ runs a django-tasks task only through django-tasks-rq's job class.
            call_command(
                "rqworker",
                "default",
                "--with-scheduler",
                "--job-class",
                "django_tasks_rq.Job",
                *extra,
            )
        else:
            extra = ["--batch", "--no-startup-delay"] if options["batch"] else []
            call_command("db_worker", "--interval", "1", *extra)
