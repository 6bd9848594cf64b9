"""The worker's current legal entity and store, kept in the session and switchable."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from clienteling.clientbooks.selectors import parameters_for
from clienteling.core.errors import Forbidden
from clienteling.organization.access import (
    Operation,
    Scope,
    employers,
    scope_of,
    worker_for_user,
)
from clienteling.organization.models import LegalEntity, Store, Worker

SESSION_LE = "storeapp.legal_entity"
SESSION_STORE = "storeapp.store"


@dataclass
class StoreContext:
    """Who is working, for which legal entity, in which store: the request's scope, and
    the choices the header offers. What the worker may do is the scope's to say."""

    worker: Worker
    scope: Scope | None
    store: Store | None
    legal_entities: list[LegalEntity]
    clienteling_enabled: bool

    @property
    def legal_entity(self) -> LegalEntity | None:
        return self.scope.legal_entity if self.scope else None

    @property
    def stores(self) -> list[Store]:
        return self.scope.stores if self.scope else []

    @property
    def granted(self) -> set[str]:
        """API names of the granted operations, for templates."""
        return {op.api_name for op in self.scope.granted} if self.scope else set()

    def may(self, operation: Operation) -> bool:
        return self.scope is not None and self.scope.may(operation)

    def require_scope(self) -> Scope:
        if self.scope is None:
            raise Forbidden(
                _("You are not employed by any legal entity."), operation="legal_entity"
            )
        return self.scope


def store_context(request: HttpRequest) -> StoreContext:
    """Resolve the session's choice against what the worker works for; fall back to the first."""
    worker = worker_for_user(request.user)
    legal_entities = employers(worker)
    chosen = request.session.get(SESSION_LE)
    legal_entity = next((le for le in legal_entities if le.code == chosen), None) or next(
        iter(legal_entities), None
    )
    if legal_entity is None:
        return StoreContext(worker, None, None, [], False)
    scope = scope_of(worker, legal_entity)
    chosen_store = request.session.get(SESSION_STORE)
    store = next((s for s in scope.stores if s.code == chosen_store), None) or next(
        iter(scope.stores), None
    )
    enabled = parameters_for(legal_entity).enabled
    return StoreContext(worker, scope, store, legal_entities, enabled)


def switch_context(request: HttpRequest, *, legal_entity: str, store: str | None) -> None:
    request.session[SESSION_LE] = legal_entity
    if store:
        request.session[SESSION_STORE] = store
    else:
        request.session.pop(SESSION_STORE, None)
