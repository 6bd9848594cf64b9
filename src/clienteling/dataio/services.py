"""Starting an import and reading how it went (R-IO-2). HQ imports (``import_data``); the
file is checked for its header at once and imported by a background job (R-JOB-1)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.core.files.base import File
from django.utils.translation import gettext as _

from clienteling.core.errors import Invalid, NotFound
from clienteling.dataio.imports import (
    Kind,
    Outcome,
    RejectsWriter,
    import_stream,
    kind_get,
    read_header,
)
from clienteling.jobs.models import Job
from clienteling.jobs.services import job_start
from clienteling.organization.access import Operation, scope_of
from clienteling.organization.models import LegalEntity, Worker

JOB_KIND = "import"
# Larger files are split by the sender; a million customers is about 150 MB.
MAX_IMPORT_BYTES = 1 << 30


def import_start(
    *, actor: Worker, legal_entity: LegalEntity, kind: str, upload: IO[bytes], name: str = ""
) -> Job:
    """Queue the import of ``upload``, a CSV of ``kind``; refused at once (nothing queued)
    when the actor may not import, the kind is unknown, or the file's header is wrong."""
    scope = scope_of(actor, legal_entity)
    scope.require(Operation.IMPORT_DATA)
    found = kind_get(kind)
    size = upload.seek(0, io.SEEK_END)
    if size > MAX_IMPORT_BYTES:
        raise Invalid(
            _("The file is larger than %(max)d MB; split it.") % {"max": MAX_IMPORT_BYTES >> 20},
            field="file",
            rule="max_size",
        )
    upload.seek(0)
    read_header(found, upload)
    upload.seek(0)
    return job_start(
        kind=JOB_KIND,
        legal_entity=scope.legal_entity,
        started_by=actor.user,
        arguments={"kind": found.name, "name": Path(name).name[:200]},
        input_file=File(upload),
        input_name=f"{found.name}.csv",
    )


def import_get(*, actor: Worker, legal_entity: LegalEntity, job_id: int) -> Job:
    """An import the actor started in the legal entity (any, for a superuser)."""
    scope = scope_of(actor, legal_entity)
    user = actor.user
    job = (
        Job.objects.filter(pk=job_id, kind=JOB_KIND, legal_entity=scope.legal_entity)
        .select_related("legal_entity")
        .first()
    )
    if job is None or not (user.is_superuser or job.started_by_id == user.pk):
        raise NotFound(_("Import %(id)s not found.") % {"id": job_id}, field="id")
    return job


def import_file(
    *,
    legal_entity: LegalEntity,
    kind: str | Kind,
    source: IO[bytes],
    rejects: IO[bytes] | None,
    on_progress: Callable[[int, int, int], None] = lambda processed, imported, rejected: None,
) -> Outcome:
    """Import ``source`` now, writing rejected lines to ``rejects``: the work of an import job
    and of ``manage.py import_data`` (an operator's, with no actor to check)."""
    found = kind if isinstance(kind, Kind) else kind_get(kind)
    header = read_header(found, source)
    source.seek(0)
    writer = RejectsWriter(rejects, header) if rejects is not None else None
    return import_stream(
        kind=found,
        legal_entity=legal_entity,
        stream=source,
        on_reject=writer or (lambda reject: None),
        on_progress=on_progress,
    )
