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
    """What the migrations built is what the model says: no index left behind."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    built = {
        tuple(spec["columns"])
        for spec in constraints.values()
        if (spec["index"] or spec["unique"]) and spec["columns"] and not spec["foreign_key"]
    }
    declared = {columns for _name, columns, _unique in declared_indexes(model)}
    partial = {
        _columns(model, index.fields)
        for index in (*model._meta.indexes, *model._meta.constraints)
        if getattr(index, "condition", None) is not None and getattr(index, "fields", None)
    }
    assert built - declared - partial == set()
