"""The JSON API v1 (R-API-1): everything an associate can do, for other systems, under the
same selectors, services and permissions as the store app."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from clienteling.api import errors
from clienteling.api.auth import BearerToken, BrowserSession
from clienteling.api.routers import (
    attributes,
    clientbooks,
    customers,
    engagement,
    exports,
    imports,
    jobs,
    organization,
    timeline,
)

DESCRIPTION = """Clienteling for other systems: client books, customer cards, customers,
their attribute values, activities and notes. Authenticate with `Authorization: Bearer <token>` (made by
`manage.py create_api_token USERNAME` or in the back office) or with the store app's
session (unsafe methods then need the `X-CSRFToken` header).

Pages are `{"items": [...], "next_cursor": "…" | null}`: pass `cursor=` for the next one,
`limit=` (1 to 200, default 50). Every error is
`{"error": {"code", "message", "field", "details"}}`. POST requests accept an
`Idempotency-Key` header. See docs/api.md."""


class ClientelingAPI(NinjaAPI):
    """The API, with an OpenAPI document completed by the dynamic filters and error texts."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return _complete(super().get_openapi_schema(**kwargs))


# Every operation has one of these tags (the routers' own) and an operation_id that reads as
# a function name in a generated client (tests/api/test_openapi.py).
TAGS = [
    {"name": "caller", "description": "Who the caller is and what they may do."},
    {
        "name": "client books",
        "description": "My client book, the store's books; add, remove, reassign customers.",
    },
    {"name": "customers", "description": "Search, details, attribute values."},
    {"name": "attributes", "description": "The client book attribute group."},
    {"name": "timeline", "description": "Activity types, activities, notes, the timeline."},
    {"name": "jobs", "description": "Background jobs: progress and outcome."},
    {
        "name": "imports",
        "description": "CSV files in: customers, values, books, activities, sales.",
    },
    {
        "name": "acting on the book",
        "description": "Today, follow-ups, appointments, outreach and its outcomes.",
    },
]

api = ClientelingAPI(
    title="Clienteling API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[BearerToken(), BrowserSession()],
    openapi_extra={"tags": TAGS},
)
errors.install(api)

api.add_router("", organization.router)
api.add_router("", clientbooks.router)
api.add_router("", customers.router)
api.add_router("", attributes.router)
api.add_router("", timeline.router)
api.add_router("", jobs.router)
api.add_router("", imports.router)
api.add_router("", exports.router)
api.add_router("", engagement.router)

# The dynamic client book filters, documented as query parameters whose names follow a
# pattern (HQ defines the attributes at run time). Any other query parameter than the
# operation's own is a 422; the objects still allow additional properties, as generated
# clients (openapi-python-client) ignore patternProperties and carry a filter as one.
CARD_FILTER_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "attr",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "description": "attr.CODE=value (repeat for one-of; true/false for yes/no attributes), "
        "attr.CODE.min= and attr.CODE.max= (numbers; dates as YYYY-MM-DD), for the refinable "
        "attributes of GET /legal-entities/{le}/attributes. Unknown or non-refinable: 422, as "
        "is any query parameter the operation does not list.",
        "schema": {
            "type": "object",
            "patternProperties": {
                r"^attr\.[A-Za-z0-9][A-Za-z0-9_-]*(\.min|\.max)?$": {
                    "type": "string",
                    "pattern": r"^[^\x00-\x1f\x7f]*$",
                    "maxLength": 200,
                }
            },
        },
        "examples": {
            "one_of": {"value": {"attr.PREF_CATEGORY": "Handbags"}},
            "range": {
                "value": {"attr.BIRTHDAY.min": "1980-01-01", "attr.BIRTHDAY.max": "1989-12-31"}
            },
        },
    },
    {
        "name": "upcoming",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "description": "upcoming.CODE=N: customers whose date attribute CODE (birthday, "
        "anniversary) falls within the next N days (0 to 366), ignoring the year.",
        "schema": {
            "type": "object",
            "patternProperties": {
                r"^upcoming\.[A-Za-z0-9][A-Za-z0-9_-]*$": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 366,
                }
            },
        },
        "examples": {"birthdays": {"value": {"upcoming.BIRTHDAY": 14}}},
    },
]
CARD_PAGE_OPERATIONS = {
    "client_book",
    "store_client_books",
    "client_book_export",
    "store_client_books_export",
}


def _complete(schema: dict[str, Any]) -> dict[str, Any]:
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            if operation.get("operationId") in CARD_PAGE_OPERATIONS:
                operation.setdefault("parameters", []).extend(CARD_FILTER_PARAMETERS)
            for status, response in operation.get("responses", {}).items():
                if str(status) in DESCRIPTIONS:
                    response["description"] = DESCRIPTIONS[str(status)]
    return schema


DESCRIPTIONS = {
    "401": "Unauthenticated: no, an unknown, expired or revoked token, and no session.",
    "403": "Forbidden: the operation is not granted (details.operation names it), or the "
    "clienteling switch is off (code feature_disabled).",
    "404": "Not found: unknown, or belongs to a legal entity, store or book the caller "
    "may not see.",
    "409": "Conflict: e.g. the customer is already in another client book (details name it).",
    "422": "Invalid input: field names the parameter, details.rule the rule broken.",
}
