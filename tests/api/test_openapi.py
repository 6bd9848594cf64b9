"""The OpenAPI document names every operation for the people who use it: a generated client's
functions are called after the operationIds, and grouped by the tags."""

from __future__ import annotations

import re

OPERATION_ID = re.compile(r"^[a-z][a-z0-9_]*$")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def operations(schema: dict) -> list[tuple[str, dict]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, path_item in schema["paths"].items()
        for method, operation in path_item.items()
        if method in METHODS
    ]


def test_every_operation_has_a_deliberate_operation_id_and_a_tag(anonymous):
    schema = anonymous.get("/openapi.json").json()
    found = operations(schema)
    assert len(found) >= 17
    declared_tags = {tag["name"] for tag in schema["tags"]}
    for name, operation in found:
        operation_id = operation.get("operationId", "")
        assert OPERATION_ID.match(operation_id), (name, operation_id)
        # ninja's default (module path + function name) starts with the package's name.
        assert not operation_id.startswith("clienteling_"), (name, operation_id)
        assert operation.get("tags"), name
        assert set(operation["tags"]) <= declared_tags, (name, operation["tags"])
    ids = [operation["operationId"] for _, operation in found]
    assert len(ids) == len(set(ids))


def test_the_operation_ids_are_the_published_ones(anonymous):
    """A generated client's function names: renaming one breaks its callers."""
    schema = anonymous.get("/openapi.json").json()
    by_tag = {
        (operation["tags"][0], operation["operationId"]) for _, operation in operations(schema)
    }
    assert by_tag == {
        ("caller", "me"),
        ("client books", "client_book"),
        ("client books", "store_client_books"),
        ("client books", "client_book_add"),
        ("client books", "client_book_remove"),
        ("client books", "client_books_reassign"),
        ("customers", "customer_search"),
        ("customers", "customer_get"),
        ("customers", "customer_attributes_set"),
        ("customers", "customer_purchases"),
        ("attributes", "attributes_list"),
        ("timeline", "activity_types_list"),
        ("timeline", "customer_timeline"),
        ("timeline", "activity_create"),
        ("timeline", "customer_notes"),
        ("timeline", "note_create"),
        ("timeline", "note_update"),
        ("timeline", "note_delete"),
        ("jobs", "job_get"),
        ("imports", "import_start"),
        ("imports", "import_get"),
        ("imports", "import_rejects"),
        ("client books", "client_book_export"),
        ("client books", "store_client_books_export"),
        ("acting on the book", "today"),
        ("acting on the book", "follow_ups_list"),
        ("acting on the book", "follow_ups_create"),
        ("acting on the book", "follow_up_done"),
        ("acting on the book", "follow_up_undone"),
        ("acting on the book", "overdue_follow_ups"),
        ("acting on the book", "appointments_list"),
        ("acting on the book", "appointment_book"),
        ("acting on the book", "appointment_ics"),
        ("acting on the book", "appointment_cancel"),
        ("acting on the book", "outreach_start"),
        ("acting on the book", "outreach_outcomes"),
        ("acting on the book", "outreach_get"),
    }


def test_idempotent_operations_document_the_key_and_their_success_status(anonymous):
    paths = anonymous.get("/openapi.json").json()["paths"]
    expected = {
        ("/api/v1/legal-entities/{le}/client-book/customers", "200"),
        ("/api/v1/legal-entities/{le}/client-book/remove", "200"),
        ("/api/v1/legal-entities/{le}/client-books/reassign", "200"),
        ("/api/v1/legal-entities/{le}/customers/{account}/activities", "201"),
        ("/api/v1/legal-entities/{le}/customers/{account}/notes", "201"),
        ("/api/v1/legal-entities/{le}/follow-ups", "201"),
        ("/api/v1/legal-entities/{le}/appointments", "201"),
        ("/api/v1/legal-entities/{le}/outreach", "202"),
    }
    for path, success in expected:
        operation = paths[path]["post"]
        header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert header["in"] == "header"
        assert not header.get("required", False)
        codes = set(map(str, operation["responses"]))
        assert success in codes, path
        assert codes & {"200", "201", "202"} == {success}, path
