"""The tables that imports and card changes write most keep no index that another already
serves: a non-unique index whose columns lead another full index costs a write on every row
change and answers no query the other does not."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model, UniqueConstraint

from clienteling.attributes.models import AttributeValue
from clienteling.clientbooks.models import Membership, StoreEntry
from clienteling.sales.models import SaleLine

WRITTEN_MOST = [Membership, StoreEntry, AttributeValue, SaleLine]


def _columns(model: type[Model], names: Iterable[str]) -> tuple[str, ...]:
    fields: list[Any] = [model._meta.get_field(name.lstrip("-")) for name in names]
    return tuple(field.column for field in fields)


def declared_indexes(model: type[Model]) -> list[tuple[str, tuple[str, ...], bool]]:
    """(name, columns, unique) of every full (not partial) index the model declares."""
    meta = model._meta
    found: list[tuple[str, tuple[str, ...], bool]] = []
    field: Any
    for field in meta.local_concrete_fields:
        if field.primary_key:
            found.append((f"{field.name} (primary key)", (field.column,), True))
        elif field.unique or field.db_index:
            found.append((field.name, (field.column,), bool(field.unique)))
    for index in meta.indexes:
        if index.condition is None and index.fields:
            found.append((str(index.name), _columns(model, index.fields), False))
    for constraint in meta.constraints:
        if not isinstance(constraint, UniqueConstraint):
            continue
        if constraint.condition is None and constraint.fields:
            found.append((constraint.name, _columns(model, constraint.fields), True))
    return found


@pytest.mark.parametrize("model", WRITTEN_MOST, ids=lambda model: model.__name__)
def test_no_index_of_a_much_written_table_is_served_by_another(model):
    indexes = declared_indexes(model)
    redundant = [
        f"{name} {columns} leads {other} {longer}"
        for name, columns, unique in indexes
        if not unique
        for other, longer, _unique in indexes
        if other != name and longer[: len(columns)] == columns
    ]
    assert redundant == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", WRITTEN_MOST, ids=lambda model: model.__name__)
def test_the_database_has_no_index_the_model_does_not_declare(model):
    """What the migrations built is what the model says: no index left behind. (The store
    view's trigram index, PostgreSQL only, is a GIN index its migration writes in SQL.)"""
    meta = model._meta
    table = meta.db_table
    # Only its naming is used: entered, SQLite's editor would refuse the test's transaction.
    editor: Any = connection.schema_editor()
    named = {
        editor._create_index_name(table, [field.column], suffix="")
        for field in meta.local_concrete_fields
        if getattr(field, "db_index", False) and not field.primary_key
    }
    named |= {str(index.name) for index in meta.indexes}
    named |= {constraint.name for constraint in meta.constraints}
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    built = {
        name
        for name, spec in constraints.items()
        if (spec["index"] or spec["unique"])
        and not spec["primary_key"]
        and spec.get("type") not in {"gin", "gist"}
    }
    assert built - named == set()
