"""Customers of a legal entity (R-ORG-4)."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from clienteling.core.text import folded
from clienteling.organization.models import AddressBook, LegalEntity

ACCOUNT_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,29}$",
    _("Use up to 30 letters, digits, '_', '.' or '-'."),
    code="account_format",
)
LANGUAGE_VALIDATOR = RegexValidator(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
    _("Use a language code such as 'it' or 'en-GB'."),
    code="language",
)


def phone_digits(phone: str) -> str:
    """The digits of a phone number, so that search ignores spaces, dashes and brackets."""
    return re.sub(r"\D", "", phone or "")


def name_sort_key(first_name: str, last_name: str) -> str:
    """How customers sort by name: family name, then given name, case-insensitively."""
    return folded(f"{last_name} {first_name}".strip())


def search_key(first_name: str, last_name: str, email: str) -> str:
    """What customer search matches names and e-mail against: normalised and case-folded,
    so that 'NICCOLÒ', 'niccolò' and 'Niccolo' + a combining accent find the same customer."""
    return folded(" ".join(part for part in (first_name, last_name, email) if part))[:400]


class Customer(models.Model):
    """A customer, identified by an account number unique within its legal entity."""

    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("legal entity"),
    )
    account = models.CharField(_("account number"), max_length=30, validators=[ACCOUNT_VALIDATOR])
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=80)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_digits = models.CharField(_("phone digits"), max_length=40, blank=True, editable=False)
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. IT.")
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, blank=True, validators=[LANGUAGE_VALIDATOR]
    )
    consent_email = models.BooleanField(_("may email"), default=False)
    consent_phone = models.BooleanField(_("may call"), default=False)
    consent_sms = models.BooleanField(_("may text"), default=False)
    address_books = models.ManyToManyField(
        AddressBook, related_name="customers", verbose_name=_("store address books"), blank=True
    )
    sort_name = models.CharField(_("sort name"), max_length=170, editable=False, db_index=False)
    search_name = models.CharField(
        _("search key"), max_length=400, editable=False, default="", db_index=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["sort_name", "id"]
        permissions = [
            ("read_customer_details", _("Read customer details, notes and activities")),
            ("edit_customer_attributes", _("Edit customer attribute values")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "account"], name="customer_account_unique_in_le"
            ),
            # What a composite foreign key refers to, so that a row of another table (a sales
            # line) can only name a customer of its own legal entity.
            models.UniqueConstraint(fields=["legal_entity", "id"], name="customer_id_in_le"),
        ]
        indexes = [
            models.Index(fields=["legal_entity", "sort_name", "id"], name="customer_le_sort"),
            models.Index(fields=["legal_entity", "email"], name="customer_le_email"),
            models.Index(fields=["legal_entity", "phone_digits"], name="customer_le_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.display_name}"

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def refresh_derived(self) -> None:
        """Keep the search and sort columns in step with the contact data."""
        self.phone_digits = phone_digits(self.phone)
        self.sort_name = name_sort_key(self.first_name, self.last_name)
        self.search_name = search_key(self.first_name, self.last_name, self.email)
