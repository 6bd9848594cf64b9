"""The worker's current legal entity and store, kept in the session and switchable."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from clienteling.clientbooks.permissions import Operation, is_granted
from clienteling.clientbooks.selectors import parameters_for
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.organization.selectors import worker_for_user

SESSION_LE = "storeapp.legal_entity"
SESSION_STORE = "storeapp.store"


@dataclass
class StoreContext:
    """Who is working, for which legal entity, in which store, and what they may do there."""

    worker: Worker
    legal_entity: LegalEntity | None
    store: Store | None
    legal_entities: list[LegalEntity]
    stores: list[Store]
    clienteling_enabled: bool
    granted: set[str]

    def may(self, operation: Operation) -> bool:
        return operation.api_name in self.granted


def store_context(request: HttpRequest) -> StoreContext:
    """Resolve the session's choice against what the worker works for; fall back to the first."""
    worker = worker_for_user(request.user)
    legal_entities = list(worker.legal_entities.order_by("code"))
    chosen = request.session.get(SESSION_LE)
    legal_entity = next((le for le in legal_entities if le.code == chosen), None) or (
        legal_entities[0] if legal_entities else None
    )
    stores = (
        list(worker.stores.filter(legal_entity=legal_entity).order_by("code"))
        if legal_entity
        else []
    )
    chosen_store = request.session.get(SESSION_STORE)
    store = next((s for s in stores if s.code == chosen_store), None) or (
        stores[0] if stores else None
    )
    enabled = bool(legal_entity and parameters_for(legal_entity).enabled)
    granted = {op.api_name for op in Operation if is_granted(worker, op)}
    return StoreContext(worker, legal_entity, store, legal_entities, stores, enabled, granted)


def switch_context(request: HttpRequest, *, legal_entity: str, store: str | None) -> None:
    request.session[SESSION_LE] = legal_entity
    if store:
        request.session[SESSION_STORE] = store
    else:
        request.session.pop(SESSION_STORE, None)
