"""The client book attribute group of a legal entity."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from clienteling.api.routers.common import READ_ERRORS, LegalEntityCode, scope_from
from clienteling.api.schemas import AttributeOut, ChoiceOut
from clienteling.clientbooks.selectors import client_book_attributes

router = Router(tags=["attributes"])


@router.get(
    "/legal-entities/{le}/attributes",
    response={200: list[AttributeOut], **READ_ERRORS},
    operation_id="attributes_list",
    summary="Client book attributes",
    description="The attributes of the client book attribute group in display order: code, "
    "name (in the caller's language), type, whether it can filter (refinable), allowed values, "
    "unit and range. Only refinable attributes can be used in attr.CODE filters.",
)
def attributes_list(request: HttpRequest, le: LegalEntityCode) -> list[AttributeOut]:
    scope = scope_from(request, le)
    return [
        AttributeOut(
            code=a.code,
            name=a.localized_name(),
            data_type=a.data_type,  # type: ignore[arg-type]
            refinable=a.can_be_refined,
            display_order=a.display_order,  # type: ignore[attr-defined]
            allowed_values=a.allowed_value_list(),
            choices=[ChoiceOut(value=c.value, label=c.label) for c in a.allowed_choices()],
            unit=a.unit,
            min_value=float(a.min_value) if a.min_value is not None else None,
            max_value=float(a.max_value) if a.max_value is not None else None,
        )
        for a in client_book_attributes(scope.legal_entity)
    ]
