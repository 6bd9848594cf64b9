"""Who may see and do what: the one place that decides (R-ORG-1, R-PERM-1..3, R-SEC-4).

A ``Scope`` is a worker acting in one legal entity: the legal entity they work for, the
operations they are granted and the stores they work in there. Selectors and services get
theirs with ``scope_of(actor, legal_entity)`` and enforce their own rule with it; faces get
the same object to decide what to offer. Scopes and grants are read once per request
(``core.request_memo``); outside a request every call reads them afresh.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission
from django.db.models import Model, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clienteling.core.cache import Generation
from clienteling.core.errors import Forbidden, NotFound
from clienteling.core.request_memo import memoized
from clienteling.organization.models import LegalEntity, Store, Worker


class Operation(enum.Enum):
    """A grantable operation: its API name, the Django permission that grants it, its label."""

    VIEW_OWN_BOOK = (
        "view_own_client_book",
        "clientbooks.view_own_client_book",
        gettext_lazy("view customers in client book"),
    )
    VIEW_STORE_BOOKS = (
        "view_store_client_books",
        "clientbooks.view_store_client_books",
        gettext_lazy("view customers from store client books"),
    )
    ADD_CUSTOMER = (
        "add_customer_to_client_book",
        "clientbooks.add_customer_to_client_book",
        gettext_lazy("add customer to client book"),
    )
    REMOVE_CUSTOMERS = (
        "remove_customers_from_client_book",
        "clientbooks.remove_customers_from_client_book",
        gettext_lazy("remove customers from client book"),
    )
    REASSIGN_CUSTOMERS = (
        "reassign_customers",
        "clientbooks.reassign_customers",
        gettext_lazy("reassign customers to a client book"),
    )
    READ_CUSTOMER_DETAILS = (
        "read_customer_details",
        "customers.read_customer_details",
        gettext_lazy("read customer details"),
    )
    EDIT_CUSTOMER_ATTRIBUTES = (
        "edit_customer_attributes",
        "customers.edit_customer_attributes",
        gettext_lazy("edit customer attribute values"),
    )
    IMPORT_DATA = (
        "import_data",
        "jobs.import_data",
        gettext_lazy("import data from files"),
    )

    def __init__(self, api_name: str, permission: str, label: Promise) -> None:
        self.api_name = api_name
        self.permission = permission
        self.app_label, self.codename = permission.split(".")
        self.label = label

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # By name: the value holds a lazy label, which pickles in the current language.
        return getattr, (Operation, self.name)


@dataclass(frozen=True)
class WorkerAccess:
    """What a worker's login may reach: the legal entities they work for (by code), their
    stores there (by legal entity and code, each with its legal entity) and the operations
    granted. Read on every request, changed by HQ now and then: kept in the shared cache and
    dropped by any change to what it is read from (``organization.signals``)."""

    employers: tuple[LegalEntity, ...]
    stores: tuple[Store, ...]
    grants: frozenset[Operation]


ACCESS = Generation("access:v1")


def access_of(actor: Worker) -> WorkerAccess:
    return ACCESS.cached(str(actor.pk), lambda: _load_access(actor))


def access_changed() -> None:
    """Every worker's access is read afresh at their next request, in every process."""
    ACCESS.bump()


def _load_access(actor: Worker) -> WorkerAccess:
    employers = tuple(actor.legal_entities.order_by("code"))
    stores = tuple(
        actor.stores.filter(legal_entity__in=[le.pk for le in employers])
        .select_related("legal_entity")
        .order_by("legal_entity__code", "code")
    )
    return WorkerAccess(employers=employers, stores=stores, grants=_load_grants(actor))


def granted(actor: Worker) -> frozenset[Operation]:
    """The operations the actor's login is granted, through its roles or directly; all for a
    superuser, none for a login that left."""
    return access_of(actor).grants


def _load_grants(actor: Worker) -> frozenset[Operation]:
    user = actor.user
    if not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Operation)
    # Held directly or through a role: a UNION of two indexed lookups. One filter with OR
    # over both joins took 11 ms with 5,000 workers (R-SCALE-1).
    codenames = [op.codename for op in Operation]
    fields = ("content_type__app_label", "codename")
    # Without Permission's default ordering: SQLite allows none inside a UNION.
    permissions = Permission.objects.order_by()
    direct = permissions.filter(user=user, codename__in=codenames).values_list(*fields)
    by_role = permissions.filter(group__user=user, codename__in=codenames).values_list(*fields)
    held = set(direct.union(by_role))
    return frozenset(op for op in Operation if (op.app_label, op.codename) in held)


def granted_operations(actor: Worker) -> list[str]:
    """The API names of the actor's granted operations, in the order of ``Operation``."""
    held = granted(actor)
    return [op.api_name for op in Operation if op in held]


def granted_q(operation: Operation, *, user_path: str = "user") -> Q:
    """A filter for workers (or anything reaching a user through ``user_path``) whose login
    is active and granted ``operation``: the same rule as ``granted``, in SQL."""
    perm = Q(
        **{
            f"{user_path}__user_permissions__codename": operation.codename,
            f"{user_path}__user_permissions__content_type__app_label": operation.app_label,
        }
    ) | Q(
        **{
            f"{user_path}__groups__permissions__codename": operation.codename,
            f"{user_path}__groups__permissions__content_type__app_label": operation.app_label,
        }
    )
    return Q(**{f"{user_path}__is_active": True}) & (
        Q(**{f"{user_path}__is_superuser": True}) | perm
    )


def forbidden(operation: Operation) -> Forbidden:
    return Forbidden(
        _("You are not granted the operation '%(operation)s'.") % {"operation": operation.label},
        operation=operation.api_name,
    )


def legal_entity_not_found(code: str) -> NotFound:
    return NotFound(_("Legal entity %(code)s not found.") % {"code": code}, field="legal_entity")


@dataclass(eq=False)
class Scope:
    """A worker acting in a legal entity they work for."""

    actor: Worker
    legal_entity: LegalEntity

    @property
    def granted(self) -> frozenset[Operation]:
        return granted(self.actor)

    def may(self, operation: Operation) -> bool:
        return operation in self.granted

    def require(self, operation: Operation) -> None:
        """Forbidden, naming the operation, unless the actor is granted it (R-PERM-2)."""
        if operation not in self.granted:
            raise forbidden(operation)

    @cached_property
    def stores(self) -> list[Store]:
        """The stores of the legal entity that the actor works in, by code."""
        return [
            s for s in access_of(self.actor).stores if s.legal_entity_id == self.legal_entity.pk
        ]

    def store(self, code: str) -> Store:
        """One of the actor's stores here; any other store is not found."""
        found = next((s for s in self.stores if s.code == code), None)
        if found is None:
            raise NotFound(_("Store %(code)s not found.") % {"code": code}, field="store")
        return found

    def works_in(self, store: Store) -> bool:
        return any(s.pk == store.pk for s in self.stores)

    def require_store(self, store: Store) -> None:
        """Not found unless the actor works in ``store`` of this legal entity."""
        if not self.works_in(store):
            raise NotFound(_("Store %(code)s not found.") % {"code": store.code}, field="store")


def _employer(
    actor: Worker, *, pk: int | None = None, code: str | None = None
) -> LegalEntity | None:
    """The legal entity with this id or code among those the actor works for: what decides
    whether a worker sees a legal entity's data at all (R-ORG-1)."""
    return next(
        (
            le
            for le in access_of(actor).employers
            if (pk is None or le.pk == pk) and (code is None or le.code == code)
        ),
        None,
    )


def scope_of(
    actor: Worker, legal_entity: LegalEntity | int, *, not_found: NotFound | None = None
) -> Scope:
    """The actor's scope in a legal entity (or its id); unless they work for it, not found
    (``not_found``, e.g. naming the customer asked for), never a hint."""
    pk = legal_entity if isinstance(legal_entity, int) else legal_entity.pk
    employer = _employer(actor, pk=pk)
    if employer is None:
        if not_found is not None:
            raise not_found
        code = legal_entity.code if isinstance(legal_entity, LegalEntity) else str(pk)
        raise legal_entity_not_found(code)
    return memoized(("access.scope", actor.pk, pk), lambda: Scope(actor, employer))


def scope_for_code(actor: Worker, code: str) -> Scope:
    """The actor's scope in the legal entity with this code (how URLs name it)."""
    employer = _employer(actor, code=code)
    if employer is None:
        raise legal_entity_not_found(code)
    return scope_of(actor, employer)


def employers(actor: Worker) -> list[LegalEntity]:
    """Every legal entity the actor works for, by code."""
    return list(access_of(actor).employers)


def workplaces(actor: Worker) -> list[Store]:
    """Every store the actor works in, of the legal entities they work for."""
    return list(access_of(actor).stores)


def worker_for_user(user: AbstractBaseUser | AnonymousUser) -> Worker:
    """The worker behind a login; a login without one may do nothing in the store app or API."""
    worker = getattr(user, "worker", None) if user.is_authenticated else None
    if worker is None:
        raise Forbidden(_("This login is not a worker."), operation="worker")
    return worker


# The back office (R-SEC-3). Shared rows (the attribute catalogue, roles, key vaults, secret
# references) change what every legal entity sees, so only a superuser changes them.


def may_change_shared(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether a back-office user may change what every legal entity shares."""
    return bool(getattr(user, "is_superuser", False))


def back_office_legal_entities(user: AbstractBaseUser | AnonymousUser) -> frozenset[int] | None:
    """The legal entities a back-office user works for; None for a superuser (all of them):
    the back office shows an HQ user only those (R-SEC-3)."""
    if getattr(user, "is_superuser", False):
        return None
    if not user.is_authenticated:
        return frozenset()

    def load() -> frozenset[int]:
        return frozenset(
            LegalEntity.objects.filter(workers__user_id=user.pk).values_list("pk", flat=True)
        )

    return memoized(("backoffice.legal_entities", user.pk), load)


def restrict_to_back_office(queryset: QuerySet[Any], path: str, user: Any) -> QuerySet[Any]:
    """Rows of ``queryset`` whose legal entity (at ``path``) the user works for."""
    allowed = back_office_legal_entities(user)
    if allowed is None:
        return queryset
    if path == "pk":
        return queryset.filter(pk__in=allowed)
    rows = queryset.filter(**{f"{path}__in": allowed})
    # A path through a many-valued relation may match a row more than once.
    return rows.distinct() if _many_valued(queryset.model, path) else rows


def _many_valued(model: Any, path: str) -> bool:
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.many_to_many or field.one_to_many:
            return True
        if field.related_model is None:
            return False
        model = field.related_model
    return False


def tied_elsewhere(obj: Model, path: str, user: Any) -> bool:
    """Whether ``obj`` is tied to a legal entity the user does not work for: a worker also
    employed elsewhere is one HQ of one legal entity may read but not change."""
    allowed = back_office_legal_entities(user)
    if allowed is None or path == "pk":
        return False
    others = LegalEntity.objects.exclude(pk__in=allowed)
    return type(obj)._default_manager.filter(pk=obj.pk, **{f"{path}__in": others}).exists()
