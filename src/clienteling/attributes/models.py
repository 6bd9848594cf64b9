"""Attribute definitions, groups and typed customer values (SPEC §4).

Definitions are shared by every legal entity, as in the ERP; the values belong to a
customer and so to its legal entity. Each refinable attribute is mapped to one of a fixed
set of typed *filter slots*: the columns of the client book read model that carry its
value with an index (see docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clienteling.attributes.display import value_text
from clienteling.core.fields import CODE_VALIDATOR
from clienteling.customers.models import Customer
from clienteling.organization.models import LegalEntity


class DataType(models.TextChoices):
    TEXT = "text", _("Text")
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal")
    BOOLEAN = "boolean", _("Yes/no")
    DATE = "date", _("Date")


class SlotFamily(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes/no")


FAMILY_OF_TYPE: dict[str, str] = {
    DataType.TEXT: SlotFamily.TEXT,
    DataType.INTEGER: SlotFamily.NUMBER,
    DataType.DECIMAL: SlotFamily.NUMBER,
    DataType.BOOLEAN: SlotFamily.BOOLEAN,
    DataType.DATE: SlotFamily.DATE,
}

# How many refinable attributes of each family the read model indexes. A refinable
# attribute beyond these is still filterable, through its values table (slower).
SLOT_COUNTS: dict[str, int] = {
    SlotFamily.TEXT: 6,
    SlotFamily.NUMBER: 4,
    SlotFamily.DATE: 4,
    SlotFamily.BOOLEAN: 4,
}
SLOT_NAMES: list[str] = [
    f"{family}_{n}" for family, count in SLOT_COUNTS.items() for n in range(1, count + 1)
]


def _language(language: str | None) -> str:
    """The two-letter code of ``language``, or of the active language."""
    return (language or translation.get_language() or "en")[:2]


class TranslatedName(models.Model):
    """A name that HQ gives in each of the product's languages (R-I18N-1)."""

    name = models.CharField(_("name (English)"), max_length=120)
    name_it = models.CharField(_("name (Italian)"), max_length=120, blank=True)
    name_lt = models.CharField(_("name (Lithuanian)"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def localized_name(self, language: str | None = None) -> str:
        """The name in ``language`` (default: the active one), falling back to English."""
        return str(getattr(self, f"name_{_language(language)}", "") or self.name)


class Attribute(TranslatedName):
    """A property HQ defines for customers: its type, rules, and whether it filters (R-ATTR-1)."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[CODE_VALIDATOR])
    data_type = models.CharField(_("data type"), max_length=10, choices=DataType.choices)
    unit = models.CharField(
        _("unit"), max_length=20, blank=True, help_text=_("Integer and decimal only.")
    )
    min_value = models.DecimalField(
        _("minimum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    can_be_refined = models.BooleanField(
        _("can be refined"), default=False, help_text=_("Associates can filter client books by it.")
    )
    default_value = models.CharField(
        _("default value"),
        max_length=200,
        blank=True,
        help_text=_("Offered when a value is first entered."),
    )
    filter_slot = models.CharField(
        _("filter slot"),
        max_length=12,
        null=True,
        blank=True,
        editable=False,
        choices=[(name, name) for name in SLOT_NAMES],
    )

    class Meta:
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["filter_slot"],
                condition=Q(filter_slot__isnull=False),
                name="attribute_slot_unique",
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="attribute_min_not_above_max",
            ),
            models.CheckConstraint(
                condition=Q(filter_slot__isnull=True) | Q(can_be_refined=True),
                name="attribute_slot_only_when_refinable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.localized_name()}"

    @property
    def family(self) -> str:
        return FAMILY_OF_TYPE[self.data_type]

    @property
    def is_list(self) -> bool:
        return self.data_type == DataType.TEXT and bool(self.allowed_value_list())

    def allowed_value_list(self) -> list[str]:
        """The fixed list of allowed values of a text attribute, in order (empty: free text)."""
        return [c.value for c in self._choice_rows()]

    def allowed_choices(self) -> list[ChoiceOption]:
        """The allowed values in order, each with its label in the active language (R-UX-2)."""
        return [ChoiceOption(c.value, c.localized_label()) for c in self._choice_rows()]

    def value_option(self, value: object) -> object:
        """``value``, as a ChoiceOption carrying its label when it is an allowed value."""
        if isinstance(value, str) and not isinstance(value, ChoiceOption):
            for choice in self._choice_rows():
                if choice.value == value:
                    return ChoiceOption(choice.value, choice.localized_label())
        return value

    def value_label(self, value: object) -> str:
        """How a stored value reads in the active language: an allowed value's label, any
        other value as it is (R-UX-2)."""
        text = "" if value is None else str(value)
        for choice in self._choice_rows():
            if choice.value == text:
                return choice.localized_label()
        return text

    def _choice_rows(self) -> list[AttributeChoice]:
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "choices" in cache:
            return list(cache["choices"])
        if self.pk is None:
            return []
        rows: list[AttributeChoice] = list(self.choices.order_by("position", "value"))
        return rows


class ChoiceOption(str):
    """An allowed value as pages offer it (R-UX-2): the stored value itself, which it renders,
    compares and submits as (``value="{{ choice }}"``), carrying ``label``, the value in the
    reader's language (``{{ choice.label }}``)."""

    label: str

    def __new__(cls, value: str, label: str = "") -> ChoiceOption:
        option = super().__new__(cls, value)
        option.label = label or value
        return option

    @property
    def value(self) -> str:
        return str.__str__(self)

    def __reduce__(self) -> tuple[type[ChoiceOption], tuple[str, str]]:
        return (ChoiceOption, (self.value, self.label))


class AttributeChoice(models.Model):
    """One allowed value of a list attribute: the value stored (and shown in English), with
    the label HQ gives it in each other language of the product (R-UX-2)."""

    attribute = models.ForeignKey(
        Attribute, on_delete=models.CASCADE, related_name="choices", verbose_name=_("attribute")
    )
    value = models.CharField(
        _("value (English)"),
        max_length=200,
        help_text=_("Stored, exported and imported as it is; shown to English readers."),
    )
    label_it = models.CharField(_("label (Italian)"), max_length=200, blank=True)
    label_lt = models.CharField(_("label (Lithuanian)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("allowed value")
        verbose_name_plural = _("allowed values")
        ordering = ["attribute", "position", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["attribute", "value"], name="attributechoice_value_unique"
            )
        ]

    def __str__(self) -> str:
        return self.value

    def localized_label(self, language: str | None = None) -> str:
        """The label in ``language`` (default: the active one), falling back to the value."""
        return str(getattr(self, f"label_{_language(language)}", "") or self.value)


class AttributeGroup(TranslatedName):
    """A set of attributes, each with a display order (R-ATTR-2)."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[CODE_VALIDATOR])
    attributes: models.ManyToManyField[Attribute, AttributeGroupMember] = models.ManyToManyField(
        Attribute,
        through="AttributeGroupMember",
        related_name="groups",
        verbose_name=_("attributes"),
    )

    class Meta:
        verbose_name = _("attribute group")
        verbose_name_plural = _("attribute groups")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.localized_name()}"


class AttributeGroupMember(models.Model):
    """An attribute's place in a group: 1 comes before 2."""

    group = models.ForeignKey(
        AttributeGroup,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name=_("attribute group"),
    )
    attribute = models.ForeignKey(
        Attribute, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("attribute")
    )
    display_order = models.PositiveSmallIntegerField(_("display order"))

    class Meta:
        verbose_name = _("attribute in group")
        verbose_name_plural = _("attributes in group")
        ordering = ["group", "display_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "attribute"], name="groupmember_attribute_once"
            ),
            models.UniqueConstraint(
                fields=["group", "display_order"], name="groupmember_order_unique"
            ),
            models.CheckConstraint(
                condition=Q(display_order__gte=1), name="groupmember_order_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group.code} #{self.display_order} {self.attribute.code}"


class AttributeValue(models.Model):
    """A customer's value of one attribute, in the column of its type (R-ATTR-4).

    Exactly one value column is filled; a date also keeps month·100+day so that
    "birthday in the next N days" is a range query.
    """

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, verbose_name=_("legal entity")
    )
    # No index of their own: attributevalue_one_per_customer leads with the customer, and
    # every value index with the attribute. A customer import writes ten values a customer.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="attribute_values",
        verbose_name=_("customer"),
        db_index=False,
    )
    attribute = models.ForeignKey(
        Attribute,
        on_delete=models.PROTECT,
        related_name="values",
        verbose_name=_("attribute"),
        db_index=False,
    )
    value_text = models.CharField(_("text value"), max_length=200, null=True, blank=True)
    value_number = models.DecimalField(
        _("number value"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    value_date = models.DateField(_("date value"), null=True, blank=True)
    value_boolean = models.BooleanField(_("yes/no value"), null=True, blank=True)
    month_day = models.PositiveSmallIntegerField(
        _("month and day"), null=True, blank=True, editable=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "attribute"], name="attributevalue_one_per_customer"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        value_text__isnull=False,
                        value_number__isnull=True,
                        value_date__isnull=True,
                        value_boolean__isnull=True,
                    )
                    | Q(
                        value_text__isnull=True,
                        value_number__isnull=False,
                        value_date__isnull=True,
                        value_boolean__isnull=True,
                    )
                    | Q(
                        value_text__isnull=True,
                        value_number__isnull=True,
                        value_date__isnull=False,
                        value_boolean__isnull=True,
                    )
                    | Q(
                        value_text__isnull=True,
                        value_number__isnull=True,
                        value_date__isnull=True,
                        value_boolean__isnull=False,
                    )
                ),
                name="attributevalue_exactly_one_value",
            ),
            models.CheckConstraint(
                condition=Q(value_date__isnull=True) | Q(month_day__isnull=False),
                name="attributevalue_date_has_month_day",
            ),
        ]
        indexes = [
            models.Index(fields=["attribute", "legal_entity", "value_text"], name="attrvalue_text"),
            models.Index(
                fields=["attribute", "legal_entity", "value_number"], name="attrvalue_number"
            ),
            # Dates only, carrying the customer and the date: "birthdays in the next 14 days"
            # of a book (Today, R-TODAY-1) is read from this index alone, the table untouched.
            models.Index(
                fields=["attribute", "legal_entity", "month_day"],
                include=["customer", "value_date"],
                condition=Q(month_day__isnull=False),
                name="attrvalue_month_day_dates",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.attribute.localized_name()}: {value_text(self.value, attribute=self.attribute)}"
        )

    @property
    def value(self) -> str | Decimal | dt.date | bool | None:
        for column in ("value_text", "value_number", "value_date", "value_boolean"):
            current = getattr(self, column)
            if current is not None:
                return current
        return None
