"""Exports: the caller's client book and the store's client books, as filtered, as a CSV or
Excel file (R-IO-3)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from ninja import Query, Router

from clienteling.api.routers.clientbooks import FILTERS_HELP, Owner, Sort, Text, card_filter
from clienteling.api.routers.common import READ_ERRORS, LegalEntityCode, StoreCode, scope_from
from clienteling.dataio import exports
from clienteling.dataio.exports import ExportFile, Format

router = Router(tags=["client books"])

ExportFormat = Annotated[
    Literal["csv", "xlsx"],
    Query("csv", description="csv (UTF-8, comma separated; the default) or xlsx (Excel)."),
]

EXPORT_HELP = (
    "Every customer the page shows for these filters, in its order, all pages: the columns of "
    "the customers import (account, first_name, last_name, email, phone, street, city, "
    "postal_code, country, language, consent_email, consent_phone, consent_sms, "
    "address_books) then book (identifier) and owner (username). Streamed; a cell that a "
    "spreadsheet would run as a formula starts with an apostrophe in the CSV. "
)
# The answer is a file, not JSON: its two media types, for the OpenAPI document.
FILE_RESPONSE: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The file, as an attachment (Content-Disposition names it).",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                Format.XLSX.content_type: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


def download(file: ExportFile) -> StreamingHttpResponse:
    response = StreamingHttpResponse(file.chunks, content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(True, file.filename) or ""
    if file.size is not None:
        response["Content-Length"] = str(file.size)
    return response


@router.get(
    "/legal-entities/{le}/client-book/export",
    response=READ_ERRORS,
    operation_id="client_book_export",
    summary="Export my client book",
    description="The caller's client book as a file. " + EXPORT_HELP + FILTERS_HELP,
    openapi_extra=FILE_RESPONSE,
)
def client_book_export(
    request: HttpRequest,
    le: LegalEntityCode,
    format: ExportFormat = "csv",
    q: Text = None,
    sort: Sort = None,
) -> StreamingHttpResponse:
    scope = scope_from(request, le)
    export = exports.client_book_export(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        card_filter=card_filter(request, scope.legal_entity, parameters=("format", "q", "sort")),
    )
    return download(exports.export_file(export, exports.export_format(format)))


@router.get(
    "/legal-entities/{le}/stores/{store}/client-books/export",
    response=READ_ERRORS,
    operation_id="store_client_books_export",
    summary="Export the store's client books",
    description="The store's client books view as a file; each line names the book the "
    "customer is in and its owner. " + EXPORT_HELP + FILTERS_HELP,
    openapi_extra=FILE_RESPONSE,
)
def store_client_books_export(
    request: HttpRequest,
    le: LegalEntityCode,
    store: StoreCode,
    format: ExportFormat = "csv",
    q: Text = None,
    owner: Owner = None,
    sort: Sort = None,
) -> StreamingHttpResponse:
    scope = scope_from(request, le)
    export = exports.store_client_books_export(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        store=scope.store(store),
        card_filter=card_filter(
            request, scope.legal_entity, parameters=("format", "q", "owner", "sort")
        ),
    )
    return download(exports.export_file(export, exports.export_format(format)))
