"""Who may read and record a customer's interactions."""

from __future__ import annotations

from django.utils.translation import gettext as _

from clienteling.clientbooks.permissions import Operation, require
from clienteling.core.errors import NotFound
from clienteling.customers.models import Customer
from clienteling.organization.models import Worker


def require_customer_reader(actor: Worker, customer: Customer) -> None:
    """The customer-details grant in the customer's legal entity; a customer of another legal
    entity does not exist for the actor. Every such reader sees every note and activity of
    the customer, whoever wrote them (R-NOTE-2)."""
    if not actor.legal_entities.filter(pk=customer.legal_entity_id).exists():
        raise NotFound(
            _("Customer %(account)s not found.") % {"account": customer.account},
            field="customer",
        )
    require(actor, Operation.READ_CUSTOMER_DETAILS)
