"""The five client book operations HQ grants separately, plus the customer-details grant (R-PERM-1, R-PERM-3)."""

from __future__ import annotations

import enum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clienteling.core.errors import Forbidden
from clienteling.organization.models import Worker


class Operation(enum.Enum):
    """An operation: its API name, the Django permission that grants it, and its label."""

    VIEW_OWN_BOOK = (
        "view_own_client_book",
        "clientbooks.view_own_client_book",
        _("view customers in client book"),
    )
    VIEW_STORE_BOOKS = (
        "view_store_client_books",
        "clientbooks.view_store_client_books",
        _("view customers from store client books"),
    )
    ADD_CUSTOMER = (
        "add_customer_to_client_book",
        "clientbooks.add_customer_to_client_book",
        _("add customer to client book"),
    )
    REMOVE_CUSTOMERS = (
        "remove_customers_from_client_book",
        "clientbooks.remove_customers_from_client_book",
        _("remove customers from client book"),
    )
    REASSIGN_CUSTOMERS = (
        "reassign_customers",
        "clientbooks.reassign_customers",
        _("reassign customers to a client book"),
    )
    READ_CUSTOMER_DETAILS = (
        "read_customer_details",
        "customers.read_customer_details",
        _("read customer details"),
    )
    EDIT_CUSTOMER_ATTRIBUTES = (
        "edit_customer_attributes",
        "customers.edit_customer_attributes",
        _("edit customer attribute values"),
    )

    def __init__(self, api_name: str, permission: str, label: Promise) -> None:
        self.api_name = api_name
        self.permission = permission
        self.label = label


def is_granted(actor: Worker, operation: Operation) -> bool:
    user = actor.user
    return bool(user.is_active and user.has_perm(operation.permission))


def require(actor: Worker, operation: Operation) -> None:
    """Raise Forbidden, naming the operation, unless ``actor`` is granted it."""
    if not is_granted(actor, operation):
        raise Forbidden(
            _("You are not granted the operation '%(operation)s'.")
            % {"operation": operation.label},
            operation=operation.api_name,
        )


def granted_operations(actor: Worker) -> list[str]:
    return [op.api_name for op in Operation if is_granted(actor, op)]
