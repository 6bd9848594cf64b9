"""``manage.py export_data KIND --legal-entity LE [--book CB-…] [--store CODE] [--format csv|xlsx]`` (R-IO-3)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clienteling.core.errors import DomainError
from clienteling.dataio.exports import (
    EXPORT_KINDS,
    FORMATS,
    Export,
    Format,
    Row,
    csv_chunks,
    data_export,
    file_chunks,
    xlsx_file,
)
from clienteling.organization.models import LegalEntity

# Progress is written to stderr every this many rows.
PROGRESS_EVERY = 10_000


class Command(BaseCommand):
    help = (
        "Write customers, attribute values, book assignments or activities of a legal "
        "entity (or of one client book, or of one store's client books) to stdout, as CSV "
        "(the import's columns) or XLSX. Progress goes to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=EXPORT_KINDS)
        parser.add_argument("--legal-entity", required=True, help="the legal entity's code")
        parser.add_argument("--book", help="only the customers of this client book (CB-…)")
        parser.add_argument("--store", help="only the customers of this store's client books")
        parser.add_argument("--format", default="csv", help="csv (default) or xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        file_format = FORMATS.get(options["format"])
        if file_format is None:
            raise CommandError(f"--format: use csv or xlsx, not {options['format']!r}")
        legal_entity = LegalEntity.objects.filter(code=options["legal_entity"]).first()
        if legal_entity is None:
            raise CommandError(f"--legal-entity: no legal entity {options['legal_entity']!r}")
        try:
            export = data_export(
                legal_entity=legal_entity,
                kind=options["kind"],
                book=options["book"],
                store=options["store"],
            )
        except DomainError as error:
            option = "kind" if error.field == "kind" else f"--{error.field}"
            raise CommandError(f"{option}: {error.message}") from None
        export = replace(export, rows=self.counted(export.rows, export))
        # Bytes, straight to the underlying stream (sys.stdout.buffer), a chunk at a time.
        out = getattr(self.stdout._out, "buffer", None)
        if file_format is Format.CSV:
            for chunk in csv_chunks(export, bom=False):
                if out is None:  # a text stream, e.g. call_command(stdout=StringIO())
                    self.stdout.write(chunk.decode("utf-8"), ending="")
                else:
                    out.write(chunk)
        else:
            if out is None:
                raise CommandError("--format: xlsx needs a binary stdout")
            for chunk in file_chunks(xlsx_file(export)):
                out.write(chunk)
        self.stdout.flush()
        if out is not None:
            out.flush()

    def counted(self, rows: Iterable[Row], export: Export) -> Iterator[Row]:
        """The rows, reporting progress on stderr as they are read."""
        total = export.count()
        started = time.monotonic()
        written = 0

        def report(ending: str = "") -> None:
            rate = written / max(time.monotonic() - started, 1e-6)
            line = f"\r{written:,}/{total:,} rows, {rate:,.0f} rows/s"
            self.stderr.write(line, style_func=lambda text: text, ending=ending)
            self.stderr.flush()

        for row in rows:
            yield row
            written += 1
            if written % PROGRESS_EVERY == 0:
                report()
        report(ending="\n")
