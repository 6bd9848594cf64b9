"""The caller: who they are, where they work, what they may do."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from clienteling.api.auth import actor_of
from clienteling.api.schemas import ErrorOut, LegalEntityOut, MeOut, StoreOut
from clienteling.clientbooks.selectors import switches_of
from clienteling.organization.access import employers, granted_operations, workplaces

router = Router(tags=["caller"])


@router.get(
    "/me",
    response={200: MeOut, 401: ErrorOut, 403: ErrorOut},
    operation_id="me",
    summary="The caller",
    description="Username, legal entities (with the clienteling switch), stores and the "
    "operations the caller is granted.",
)
def me(request: HttpRequest) -> MeOut:
    actor = actor_of(request)
    legal_entities = employers(actor)
    enabled = switches_of(legal_entities)
    return MeOut(
        username=actor.username,
        name=actor.user.get_full_name() or actor.username,
        legal_entities=[
            LegalEntityOut(code=le.code, name=le.name, clienteling_enabled=enabled[le.pk])
            for le in legal_entities
        ],
        stores=[
            StoreOut(code=s.code, name=s.name, legal_entity=s.legal_entity.code)
            for s in workplaces(actor)
        ],
        operations=granted_operations(actor),
    )
