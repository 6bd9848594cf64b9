"""Imports (R-IO-2): a CSV in, a background job, progress, the rejected lines back."""

from __future__ import annotations

import tempfile
from typing import IO, Annotated, Any, cast

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router, Status

from clienteling.api.routers.common import READ_ERRORS, LegalEntityCode, scope_from
from clienteling.api.schemas import ErrorOut, ImportOut, ImportQueuedOut
from clienteling.core.errors import Invalid, NotFound
from clienteling.dataio.imports import KINDS
from clienteling.dataio.services import MAX_IMPORT_BYTES, import_get, import_start
from clienteling.jobs.models import Job

router = Router(tags=["imports"])
# POST names a kind and GET an import's id in the same place: one path, two meanings.
PATH = "/legal-entities/{le}/imports/{ref}"
KindPath = Annotated[
    str,
    Path(pattern=r"^[a-z-]{1,40}$", description=f"The kind of file: {', '.join(sorted(KINDS))}."),
]
ImportId = Annotated[int, Path(ge=1, le=2**62, description="The import's id.")]
CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    PATH,
    response={202: ImportQueuedOut, **READ_ERRORS, 413: ErrorOut},
    operation_id="import_start",
    summary="Import a CSV file",
    description="The file as the body (text/csv) or as the multipart field `file`, UTF-8, "
    "comma or semicolon separated, with a header row; CONTRACT.md lists each kind's columns. "
    "A wrong header is refused at once; the lines are imported by a background job.",
    openapi_extra=CSV_BODY,
)
def import_create(request: HttpRequest, le: LegalEntityCode, ref: KindPath) -> Status:
    scope = scope_from(request, le)
    with _uploaded(request) as (upload, name):
        job = import_start(
            actor=scope.actor,
            legal_entity=scope.legal_entity,
            kind=ref,
            upload=upload,
            name=name,
        )
    return Status(202, ImportQueuedOut(id=job.pk, job=job.pk, status="queued"))


class _uploaded:
    """The request's file: the multipart field ``file`` or the body itself, spooled to disk
    without holding it in memory."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.spool: IO[bytes] | None = None

    def __enter__(self) -> tuple[IO[bytes], str]:
        request = self.request
        if request.content_type == "multipart/form-data":
            upload = request.FILES.get("file")
            if upload is None:
                raise Invalid(
                    _("Send the file in the field 'file'."), field="file", rule="required"
                )
            return cast(IO[bytes], upload), upload.name or ""
        # An empty body comes with no content type; it is then an empty file.
        if request.content_type not in ("text/csv", "text/plain", "application/octet-stream", ""):
            raise Invalid(
                _("Send the file as text/csv or as multipart/form-data."),
                field="body",
                rule="content_type",
            )
        self.spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)
        # Read one chunk past the limit at most: the service refuses what is over it.
        size = 0
        while size <= MAX_IMPORT_BYTES and (chunk := request.read(1 << 20)):
            size += len(chunk)
            self.spool.write(chunk)
        self.spool.seek(0)
        return self.spool, ""

    def __exit__(self, *exc: object) -> None:
        if self.spool is not None:
            self.spool.close()


@router.get(
    PATH,
    response={200: ImportOut, **READ_ERRORS},
    operation_id="import_get",
    summary="An import's progress and outcome",
    description="Only for whoever started it.",
)
def import_detail(request: HttpRequest, le: LegalEntityCode, ref: ImportId) -> ImportOut:
    scope = scope_from(request, le)
    job = import_get(actor=scope.actor, legal_entity=scope.legal_entity, job_id=ref)
    return _out(request, le, job)


@router.get(
    PATH + "/rejects",
    response={200: Any, **READ_ERRORS},
    operation_id="import_rejects",
    summary="An import's rejected lines",
    description="A CSV: line, column, reason, then the rejected line's own columns.",
    openapi_extra={
        "responses": {"200": {"description": "OK", "content": {"text/csv": {"schema": {}}}}}
    },
)
def import_rejects(request: HttpRequest, le: LegalEntityCode, ref: ImportId) -> FileResponse:
    scope = scope_from(request, le)
    job = import_get(actor=scope.actor, legal_entity=scope.legal_entity, job_id=ref)
    if not job.result_file:
        raise NotFound(_("This import has no rejected lines."), field="rejects")
    return FileResponse(
        job.result_file.open("rb"),
        as_attachment=True,
        filename=f"rejects-{job.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )


def _out(request: HttpRequest, le: str, job: Job) -> ImportOut:
    rejects = (
        request.build_absolute_uri(f"/api/v1/legal-entities/{le}/imports/{job.pk}/rejects")
        if job.result_file
        else None
    )
    return ImportOut(
        id=job.pk,
        kind=str(job.arguments.get("kind", "")),
        status=cast(Any, job.status),
        processed=job.processed,
        total=job.total,
        imported=job.accepted,
        rejected=job.rejected,
        error=job.error or None,
        rejects_url=rejects,
    )
