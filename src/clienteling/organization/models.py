"""Legal entities, stores, store address books and workers (SPEC §1)."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from clienteling.core.currency import DEFAULT_CURRENCY, CurrencyShaped, validate_currency
from clienteling.core.fields import CODE_VALIDATOR


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."), code="time_zone")


class LegalEntity(models.Model):
    """A company: the partition that customers, books and parameters belong to (R-ORG-1)."""

    code = models.CharField(_("code"), max_length=8, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=120)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Rome",
        validators=[validate_time_zone],
        help_text=_("Decides what 'today' is for upcoming birthdays and anniversaries."),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default=DEFAULT_CURRENCY,
        validators=[validate_currency],
        help_text=_(
            "ISO 4217 code, e.g. EUR: sales lines without a currency are in it, and purchase "
            "totals add up the lines in it."
        ),
    )

    class Meta:
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=CurrencyShaped("currency"), name="legalentity_currency_iso"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AddressBook(models.Model):
    """A store address book: links stores to the workers and customers that belong to them."""

    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        related_name="address_books",
        verbose_name=_("legal entity"),
    )
    code = models.CharField(_("code"), max_length=20, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("store address book")
        verbose_name_plural = _("store address books")
        ordering = ["legal_entity__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "code"], name="addressbook_code_unique_in_le"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Store(models.Model):
    """A shop of one legal entity, linked to one or more store address books (R-ORG-2)."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="stores", verbose_name=_("legal entity")
    )
    code = models.CharField(_("code"), max_length=20, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=120)
    address_books = models.ManyToManyField(
        AddressBook, related_name="stores", verbose_name=_("store address books"), blank=True
    )

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["legal_entity__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "code"], name="store_code_unique_in_le")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Worker(models.Model):
    """A person with a login, employed by legal entities, assigned to stores (R-ORG-3).

    The worker's address books decide in which stores' client books their customers show.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="worker",
        verbose_name=_("user"),
    )
    personnel_number = models.CharField(_("personnel number"), max_length=20, blank=True)
    legal_entities = models.ManyToManyField(
        LegalEntity, related_name="workers", verbose_name=_("employed by"), blank=True
    )
    stores = models.ManyToManyField(
        Store, related_name="workers", verbose_name=_("stores"), blank=True
    )
    address_books = models.ManyToManyField(
        AddressBook, related_name="workers", verbose_name=_("address books"), blank=True
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_(
            "The store app's language for this worker on every device; empty: the browser's."
        ),
    )

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["user__username"]

    def __str__(self) -> str:
        full = self.user.get_full_name()
        return f"{full} ({self.user.username})" if full else self.user.username

    @property
    def username(self) -> str:
        return self.user.username
