"""``manage.py import_data KIND FILE --legal-entity LE [--rejects OUT.csv]`` (R-IO-2)."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clienteling.core.errors import DomainError
from clienteling.dataio.imports import KINDS, count_lines
from clienteling.dataio.services import import_file
from clienteling.organization.models import LegalEntity


class Command(BaseCommand):
    help = (
        "Import a CSV file of customers, attribute values, book assignments, activities or "
        "sales lines. Progress goes to stderr; the last line of stdout says how many lines "
        "were imported and rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", help="the CSV file (UTF-8; comma or semicolon separated)")
        parser.add_argument("--legal-entity", required=True, help="the legal entity's code")
        parser.add_argument("--rejects", help="write rejected lines, with the reason, here")

    def handle(self, *args: Any, **options: Any) -> None:
        legal_entity = LegalEntity.objects.filter(code=options["legal_entity"]).first()
        if legal_entity is None:
            raise CommandError(f"--legal-entity: no legal entity {options['legal_entity']!r}")
        with ExitStack() as files:
            try:
                source = files.enter_context(open(options["file"], "rb"))
                rejects = (
                    files.enter_context(open(options["rejects"], "wb"))
                    if options["rejects"]
                    else None
                )
            except OSError as error:
                raise CommandError(f"{error.filename}: {error.strerror}") from None
            total = count_lines(source)
            started = time.monotonic()

            def report(processed: int, imported: int, rejected: int) -> None:
                rate = processed / max(time.monotonic() - started, 1e-6)
                sys.stderr.write(
                    f"\r{processed:,}/{total:,} lines, {imported:,} imported, "
                    f"{rejected:,} rejected, {rate:,.0f} lines/s"
                )
                sys.stderr.flush()

            try:
                outcome = import_file(
                    legal_entity=legal_entity,
                    kind=options["kind"],
                    source=source,
                    rejects=rejects,
                    on_progress=report,
                )
            except DomainError as error:
                raise CommandError(f"{error.field}: {error.message}") from None
        sys.stderr.write("\n")
        self.stdout.write(f"imported {outcome.imported}, rejected {outcome.rejected}")
