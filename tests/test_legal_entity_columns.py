"""Every table of the product carries the legal entity, or says where its legal entity is, or
that it is shared by every legal entity (R-SCALE-3: the legal entity is the distribution
column of a distributed PostgreSQL such as Citus; docs/scaling.md).

A new model without a ``legal_entity`` foreign key fails here until it gets one, or is added
to ``WITHOUT_LEGAL_ENTITY_COLUMN`` below with its path to the legal entity (or ``GLOBAL``)
and named in docs/scaling.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.test.utils import isolate_apps

from clienteling.organization.models import LegalEntity

SCALING_DOC = Path(__file__).resolve().parents[1] / "docs" / "scaling.md"
GLOBAL = "global"

# The product's tables without a legal_entity column of their own (docs/scaling.md, "Tables
# without the column"): the foreign keys that lead to their legal entity, or GLOBAL for
# what every legal entity shares.
WITHOUT_LEGAL_ENTITY_COLUMN: dict[str, str] = {
    # The legal entities themselves: the values of the distribution column.
    "organization.LegalEntity": GLOBAL,
    # A person with one login, employed by one or more legal entities.
    "organization.Worker": GLOBAL,
    "organization.Worker_legal_entities": "legalentity",
    "organization.Worker_stores": "store.legal_entity",
    "organization.Worker_address_books": "addressbook.legal_entity",
    "organization.Store_address_books": "store.legal_entity",
    "customers.Customer_address_books": "customer.legal_entity",
    "timeline.NoteChange": "note.legal_entity",
    # HQ's attribute catalogue is shared by every legal entity; the values are per entity.
    "attributes.Attribute": GLOBAL,
    "attributes.AttributeChoice": GLOBAL,
    "attributes.AttributeGroup": GLOBAL,
    "attributes.AttributeGroupMember": GLOBAL,
    # Key vaults and the expiry of secret references: HQ's, for every legal entity.
    "insights.KeyVault": GLOBAL,
    "insights.SecretStatus": GLOBAL,
    # A worker's API tokens and the answers kept for their retries act for the worker,
    # in whichever of the worker's legal entities a call names.
    "api.ApiToken": GLOBAL,
    "api.IdempotencyRecord": GLOBAL,
}


def product_models() -> list[type[models.Model]]:
    """Every table of the product's own apps, many-to-many tables included."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_config.name.startswith("clienteling.") and not model._meta.proxy
    ]


def legal_entity_key(model: type[models.Model], name: str) -> models.Field | None:
    """The field ``name`` of ``model`` if it is a foreign key to the legal entity."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if isinstance(field, models.ForeignKey) and field.related_model is LegalEntity:
        return field
    return None


def path_problem(model: type[models.Model], path: str) -> str | None:
    """Why ``path`` (foreign keys, dotted) does not lead from ``model`` to a legal entity."""
    *hops, last = path.split(".")
    current = model
    for hop in hops:
        try:
            field = current._meta.get_field(hop)
        except FieldDoesNotExist:
            return f"{current._meta.label} has no field {hop!r}"
        if not (field.many_to_one or field.one_to_one) or field.related_model is None:
            return f"{current._meta.label}.{hop} is not a foreign key"
        current = field.related_model  # type: ignore[assignment]
    if legal_entity_key(current, last) is None:
        return f"{current._meta.label}.{last} is not a foreign key to the legal entity"
    return None


def tenancy_problems(
    models_: Iterable[type[models.Model]], without_column: dict[str, str]
) -> list[str]:
    """What breaks the rule of the module, one sentence per model."""
    problems = []
    seen = set()
    for model in models_:
        label = model._meta.label
        seen.add(label)
        carries = legal_entity_key(model, "legal_entity") is not None
        path = without_column.get(label)
        if carries and path is not None:
            problems.append(f"{label} carries legal_entity: drop it from the list")
        elif not carries and path is None:
            problems.append(
                f"{label} ({model._meta.db_table}) has no legal_entity foreign key: add one, "
                "or list it with its path to the legal entity (or GLOBAL) and describe it "
                "in docs/scaling.md"
            )
        elif path is not None and path != GLOBAL and (problem := path_problem(model, path)):
            problems.append(f"{label}: path {path!r} does not lead to a legal entity: {problem}")
    problems += [f"{label} is listed but is no model" for label in without_column.keys() - seen]
    return problems


def test_every_table_carries_the_legal_entity_or_says_where_it_is():
    assert tenancy_problems(product_models(), WITHOUT_LEGAL_ENTITY_COLUMN) == []


@isolate_apps("clienteling.timeline")
def test_a_new_table_without_the_legal_entity_is_caught():
    class Wishlist(models.Model):
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "timeline"

        def __str__(self) -> str:
            return self.name

    class Mention(models.Model):
        note = models.ForeignKey("timeline.Wishlist", on_delete=models.CASCADE)

        class Meta:
            app_label = "timeline"

        def __str__(self) -> str:
            return str(self.pk)

    problems = tenancy_problems([Wishlist, Mention], {"timeline.Mention": "note.legal_entity"})

    assert problems[0].startswith("timeline.Wishlist (timeline_wishlist) has no legal_entity")
    assert "timeline.Wishlist.legal_entity is not a foreign key to the legal entity" in problems[1]
    assert len(problems) == 2


def test_the_scaling_guide_names_every_table():
    """docs/scaling.md lists each table by name: those that carry the legal entity in its
    Citus plan, the others with their path or as shared."""
    doc = SCALING_DOC.read_text(encoding="utf-8")
    missing = [
        f"{model._meta.label} ({model._meta.db_table})"
        for model in product_models()
        if f"`{model._meta.db_table}`" not in doc
        or (
            model._meta.label in WITHOUT_LEGAL_ENTITY_COLUMN and f"`{model._meta.label}`" not in doc
        )
    ]
    assert missing == [], "add these tables to docs/scaling.md"
