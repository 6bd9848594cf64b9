"""Client books, their memberships, number sequences and the per-legal-entity parameters (SPEC §2, §3, §5).

``Membership`` and ``StoreEntry`` are also the read model that pages of cards walk: each
row carries its scope (a book, or a store), the sort keys and the typed filter slots of
the refinable attributes, so that a page is one indexed range scan (docs/architecture.md).
The services that change memberships, attribute values or address books keep them in step.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from clienteling.attributes.models import SLOT_COUNTS, AttributeGroup, SlotFamily
from clienteling.clientbooks.facts import CARD_FACT_SELECTIONS
from clienteling.customers.models import Customer
from clienteling.organization.models import LegalEntity, Store, Worker

SEQUENCE_FORMAT = re.compile(r"^(?P<prefix>[^#]*)(?P<counter>#{1,18})(?P<suffix>[^#]*)$")


class MembershipMode(models.TextChoices):
    EXCLUSIVE = "exclusive", _("Exclusive: a customer is in one client book")
    SHARED = "shared", _("Shared: a customer may be in several client books, one primary")


class NumberSequence(models.Model):
    """Hands out identifiers such as ``CB-000042``: unique, increasing, never reused (R-SEQ-1)."""

    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        related_name="number_sequences",
        verbose_name=_("legal entity"),
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120, blank=True)
    format = models.CharField(
        _("format"),
        max_length=40,
        help_text=_(
            "A prefix, one run of '#' for the zero-padded counter, and an optional suffix, e.g. CB-######."
        ),
    )
    next_value = models.BigIntegerField(_("next value"), default=1)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        ordering = ["legal_entity__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "code"], name="sequence_code_unique_in_le"
            ),
            models.CheckConstraint(
                condition=Q(next_value__gte=1), name="sequence_next_value_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.format})"

    @property
    def capacity(self) -> int:
        """The largest counter the format can show."""
        match = SEQUENCE_FORMAT.match(self.format)
        return 10 ** len(match["counter"]) - 1 if match else 0

    def render(self, value: int) -> str:
        match = SEQUENCE_FORMAT.match(self.format)
        if match is None:
            raise ValueError(f"invalid sequence format {self.format!r}")
        width = len(match["counter"])
        return f"{match['prefix']}{value:0{width}d}{match['suffix']}"


class ClientelingParameters(models.Model):
    """HQ's clienteling settings of one legal entity: the switch, the book mode and what books use."""

    legal_entity = models.OneToOneField(
        LegalEntity,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="clienteling",
        verbose_name=_("legal entity"),
    )
    enabled = models.BooleanField(
        _("clienteling enabled"),
        default=False,
        help_text=_("When off, every client book operation is unavailable; nothing is deleted."),
    )
    membership_mode = models.CharField(
        _("client book membership"),
        max_length=10,
        choices=MembershipMode.choices,
        default=MembershipMode.EXCLUSIVE,
    )
    attribute_group = models.ForeignKey(
        AttributeGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client book attribute group"),
        help_text=_("The attributes associates capture for customers in client books."),
    )
    client_book_sequence = models.ForeignKey(
        NumberSequence,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client book number sequence"),
    )
    card_facts = models.CharField(
        _("purchase facts on the cards"),
        max_length=60,
        blank=True,
        default="",
        help_text=_(
            "Shown on every card after the selected measures and before the client book "
            "attributes, up to three properties in all."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("clienteling parameters")
        verbose_name_plural = _("clienteling parameters")
        constraints = [
            models.CheckConstraint(
                condition=Q(card_facts__in=CARD_FACT_SELECTIONS),
                name="clienteling_parameters_card_facts_known",
            )
        ]

    def __str__(self) -> str:
        return str(_("Clienteling parameters of %(le)s") % {"le": self.legal_entity_id})


class ClientBook(models.Model):
    """A worker's book of key customers: at most one per worker and legal entity (R-BOOK-1)."""

    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        related_name="client_books",
        verbose_name=_("legal entity"),
    )
    identifier = models.CharField(_("identifier"), max_length=60)
    owner = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="client_books", verbose_name=_("owner")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("client book")
        verbose_name_plural = _("client books")
        ordering = ["legal_entity__code", "identifier"]
        default_permissions = ("view",)
        permissions = [
            ("view_own_client_book", _("View customers in client book")),
            ("view_store_client_books", _("View customers from store client books")),
            ("add_customer_to_client_book", _("Add customer to client book")),
            ("remove_customers_from_client_book", _("Remove customers from client book")),
            ("reassign_customers", _("Reassign customers to a client book")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "owner"], name="clientbook_one_per_worker_and_le"
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "identifier"], name="clientbook_identifier_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.owner.username})"


def _slot_fields() -> dict[str, models.Field]:
    fields: dict[str, models.Field] = {}

    def label(name: str) -> Any:
        return format_lazy("{} {}", _("filter slot"), name)

    for n in range(1, SLOT_COUNTS[SlotFamily.TEXT] + 1):
        name = f"text_{n}"
        fields[name] = models.CharField(
            label(name), max_length=200, null=True, blank=True, editable=False
        )
    for n in range(1, SLOT_COUNTS[SlotFamily.NUMBER] + 1):
        name = f"number_{n}"
        fields[name] = models.DecimalField(
            label(name), max_digits=20, decimal_places=6, null=True, blank=True, editable=False
        )
    for n in range(1, SLOT_COUNTS[SlotFamily.DATE] + 1):
        fields[f"date_{n}"] = models.DateField(
            label(f"date_{n}"), null=True, blank=True, editable=False
        )
        fields[f"md_{n}"] = models.PositiveSmallIntegerField(
            label(f"md_{n}"), null=True, blank=True, editable=False
        )
    for n in range(1, SLOT_COUNTS[SlotFamily.BOOLEAN] + 1):
        name = f"boolean_{n}"
        fields[name] = models.BooleanField(label(name), null=True, blank=True, editable=False)
    return fields


# Indexed slot columns: each filter can start from an index inside the page's scope.
INDEXED_SLOT_COLUMNS = [name for name in _slot_fields() if not name.startswith("boolean_")]
# The purchase facts a card row copies from the customer's sales lines (R-SALE-3), each
# indexed inside the scope like a slot: "spent over 5,000 in 12 months" is one range.
FACT_COLUMNS = ["last_purchase", "spend_12m", "visits_12m", "fav_category"]


class CardRow(models.Model):
    """The columns a page of cards sorts and filters on, copied from the customer."""

    sort_name = models.CharField(_("sort name"), max_length=170, editable=False)
    search_text = models.CharField(_("search text"), max_length=400, editable=False)
    added_at = models.DateTimeField(_("added at"), editable=False)
    # Purchase facts (R-SALE-3), as of the legal entity's day they were last brought up to date.
    last_purchase = models.DateField(_("last purchase"), null=True, blank=True, editable=False)
    spend_12m = models.DecimalField(
        _("spend in 12 months"), max_digits=14, decimal_places=2, default=0, editable=False
    )
    visits_12m = models.PositiveIntegerField(_("visits in 12 months"), default=0, editable=False)
    fav_category = models.CharField(
        _("favourite category"), max_length=80, null=True, blank=True, editable=False
    )
    # The customer's last contact: their latest activity, an appointment from when it was
    # booked (readmodel.CONTACT_AT). Today's "not contacted for N days" (R-TODAY-1) reads it
    # from the book's rows; the timeline's services keep it.
    last_contact = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True


for _name, _field in _slot_fields().items():
    CardRow.add_to_class(_name, _field)


class Membership(CardRow):
    """A customer in a client book. In every mode a customer has at most one primary
    membership per legal entity; in exclusive mode that is its only one (R-BOOK-2)."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    # No index of their own: every card index starts with the book, and membership_customer
    # serves the customer. Each index more is one more write on every change of a fact.
    book = models.ForeignKey(
        ClientBook,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("client book"),
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="book_memberships",
        verbose_name=_("customer"),
        db_index=False,
    )
    is_primary = models.BooleanField(_("primary"), default=True)
    added_by = models.ForeignKey(
        Worker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        verbose_name = _("client book membership")
        verbose_name_plural = _("client book memberships")
        constraints = [
            models.UniqueConstraint(fields=["book", "customer"], name="membership_once_per_book"),
            models.UniqueConstraint(
                fields=["legal_entity", "customer"],
                condition=Q(is_primary=True),
                name="membership_one_primary",
            ),
        ]
        indexes = [
            models.Index(fields=["book", "sort_name", "id"], name="membership_book_name"),
            models.Index(fields=["book", "added_at", "id"], name="membership_book_added"),
            models.Index(fields=["customer"], name="membership_customer"),
            models.Index(
                fields=["book", "last_contact", "sort_name", "customer"],
                name="membership_book_contact",
            ),
            *[
                models.Index(fields=["book", column], name=f"membership_{column}")
                for column in [*INDEXED_SLOT_COLUMNS, *FACT_COLUMNS]
            ],
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.book_id}"


class StoreEntry(CardRow):
    """A membership as seen from one store whose address books the book owner shares (R-BOOK-9)."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    # No index of their own: every card index starts with the store, and storeentry_membership
    # and storeentry_customer serve the others (as for Membership).
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"), db_index=False
    )
    membership = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="store_entries",
        verbose_name=_("membership"),
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
        db_index=False,
    )
    owner = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="+", verbose_name=_("associate")
    )

    class Meta:
        verbose_name = _("store client book entry")
        verbose_name_plural = _("store client book entries")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "membership"], name="storeentry_once_per_store"
            ),
        ]
        indexes = [
            models.Index(fields=["store", "sort_name", "id"], name="storeentry_store_name"),
            models.Index(fields=["store", "added_at", "id"], name="storeentry_store_added"),
            models.Index(
                fields=["store", "owner", "sort_name", "id"], name="storeentry_store_owner"
            ),
            models.Index(fields=["membership"], name="storeentry_membership"),
            models.Index(fields=["customer"], name="storeentry_customer"),
            *[
                models.Index(fields=["store", column], name=f"storeentry_{column}")
                for column in [*INDEXED_SLOT_COLUMNS, *FACT_COLUMNS]
            ],
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} at {self.store_id}"
