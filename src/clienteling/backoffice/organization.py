"""Back office: legal entities, stores, store address books, workers and roles (R-ORG-1..3)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clienteling.backoffice.forms import ServiceCheckedForm
from clienteling.backoffice.scoping import ScopedAdmin, ScopedAdminMixin, ScopedInlineMixin
from clienteling.clientbooks.facts import FACTS, card_fact_codes, card_facts_stored
from clienteling.clientbooks.models import ClientelingParameters, NumberSequence
from clienteling.clientbooks.services import (
    clienteling_parameters_update,
    clienteling_parameters_validate,
    store_address_books_set,
    store_address_books_validate,
    worker_assignments_set,
)
from clienteling.organization.access import may_change_shared
from clienteling.organization.models import AddressBook, LegalEntity, Store, Worker
from clienteling.organization.services import worker_assignments_validate

# The permissions a role can carry: the client book operations and the customer grants
# (R-PERM-1, R-PERM-3), and the back-office rights of the product's own models.
PRODUCT_APPS = (
    "organization",
    "customers",
    "attributes",
    "clientbooks",
    "timeline",
    "sales",
    "insights",
    "api",
    "jobs",
    "engagement",
)


PARAMETER_FIELDS = (
    "enabled",
    "membership_mode",
    "attribute_group",
    "client_book_sequence",
    "card_facts",
)


class CardFactsField(forms.MultipleChoiceField):
    """The purchase facts the cards show (R-SALE-3), ticked; stored as their codes."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        # Not a text field's: the admin would give it a text box.
        for name in ("max_length", "empty_value", "widget"):
            kwargs.pop(name, None)
        super().__init__(**{**kwargs, "choices": [(f.code, f.label) for f in FACTS]})

    def prepare_value(self, value: Any) -> Any:
        return card_fact_codes(value) if isinstance(value, str) else value

    def clean(self, value: Any) -> str:
        return card_facts_stored(list(super().clean(value)))


class ClientelingParametersForm(ServiceCheckedForm):
    class Meta:
        model = ClientelingParameters
        fields = PARAMETER_FIELDS
        field_classes = {"card_facts": CardFactsField}

    def service_check(self, data: dict[str, Any]) -> None:
        if self.instance.legal_entity_id:
            clienteling_parameters_validate(
                legal_entity=self.instance.legal_entity,
                **{name: data[name] for name in PARAMETER_FIELDS if name in data},
            )


class ClientelingParametersInline(ScopedInlineMixin, admin.StackedInline):
    """The clienteling switch and what the legal entity's books use (R-FEAT-1, R-BOOK-8)."""

    model = ClientelingParameters
    form = ClientelingParametersForm
    can_delete = False
    extra = 1
    max_num = 1
    verbose_name = _("clienteling settings")
    verbose_name_plural = _("clienteling settings")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        match = request.resolver_match
        legal_entity_id = match.kwargs.get("object_id") if match else None
        if db_field.name == "client_book_sequence" and legal_entity_id:
            kwargs["queryset"] = NumberSequence.objects.filter(legal_entity_id=legal_entity_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(LegalEntity)
class LegalEntityAdmin(ScopedAdmin):
    legal_entity_path = "pk"
    list_display = ("code", "name", "time_zone", "clienteling_enabled")
    search_fields = ("code", "name")
    ordering = ("code",)
    inlines = (ClientelingParametersInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Integrations and URLs name the legal entity by its code.
        return ("code",) if obj else ()

    @admin.display(boolean=True, description=_("clienteling"))
    def clienteling_enabled(self, legal_entity: LegalEntity) -> bool:
        parameters = getattr(legal_entity, "clienteling", None)
        return bool(parameters and parameters.enabled)

    def get_queryset(self, request: HttpRequest) -> QuerySet[LegalEntity]:
        return super().get_queryset(request).select_related("clienteling")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A new legal entity is a new partition of the data: a superuser's decision.
        return may_change_shared(request.user) and super().has_add_permission(request)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ClientelingParameters:
            super().save_formset(request, form, formset, change)
            return
        # Through the service, which checks the rules and is in force at the next request.
        for parameters in formset.save(commit=False):
            clienteling_parameters_update(
                legal_entity=form.instance,
                **{name: getattr(parameters, name) for name in PARAMETER_FIELDS},
            )


@admin.register(AddressBook)
class AddressBookAdmin(ScopedAdmin):
    legal_entity_path = "legal_entity"
    list_display = ("code", "name", "legal_entity")
    list_filter = ("legal_entity",)
    search_fields = ("code", "name")
    list_select_related = ("legal_entity",)
    ordering = ("legal_entity__code", "code")


class StoreForm(ServiceCheckedForm):
    class Meta:
        model = Store
        fields = ("legal_entity", "code", "name", "address_books")

    def service_check(self, data: dict[str, Any]) -> None:
        store_address_books_validate(
            legal_entity=data.get("legal_entity") or self.instance.legal_entity,
            address_books=list(data.get("address_books") or []),
        )


@admin.register(Store)
class StoreAdmin(ScopedAdmin):
    legal_entity_path = "legal_entity"
    form = StoreForm
    list_display = ("code", "name", "legal_entity", "address_book_list")
    list_filter = ("legal_entity",)
    search_fields = ("code", "name")
    list_select_related = ("legal_entity",)
    filter_horizontal = ("address_books",)
    ordering = ("legal_entity__code", "code")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Store]:
        return super().get_queryset(request).prefetch_related("address_books")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("legal_entity", "code") if obj else ()

    @admin.display(description=_("store address books"))
    def address_book_list(self, store: Store) -> str:
        return ", ".join(book.code for book in store.address_books.all())

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The address books through the service: which store shows whose book follows.
        store_address_books_set(
            store=form.instance, address_books=list(form.cleaned_data["address_books"])
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


WORKER_FIELDS = ("legal_entities", "stores", "address_books")


class WorkerForm(ServiceCheckedForm):
    class Meta:
        model = Worker
        fields = ("user", "personnel_number", "language", *WORKER_FIELDS)

    def service_check(self, data: dict[str, Any]) -> None:
        worker_assignments_validate(**{name: list(data.get(name) or []) for name in WORKER_FIELDS})


def worker_assignments_save(form: Any) -> None:
    """The worker's employers, stores and address books, through the service."""
    worker_assignments_set(
        worker=form.instance,
        **{name: list(form.cleaned_data.get(name) or []) for name in WORKER_FIELDS},
    )


@admin.register(Worker)
class WorkerAdmin(ScopedAdmin):
    legal_entity_path = "legal_entities"
    form = WorkerForm
    list_display = ("__str__", "personnel_number", "employers", "store_list", "roles")
    list_filter = ("legal_entities", "stores", "user__groups")
    search_fields = ("user__username", "user__first_name", "user__last_name", "personnel_number")
    autocomplete_fields = ("user",)
    filter_horizontal = ("legal_entities", "stores", "address_books")
    list_select_related = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Worker]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("legal_entities", "stores", "user__groups")
        )

    @admin.display(description=_("employed by"))
    def employers(self, worker: Worker) -> str:
        return ", ".join(le.code for le in worker.legal_entities.all())

    @admin.display(description=_("stores"))
    def store_list(self, worker: Worker) -> str:
        return ", ".join(store.code for store in worker.stores.all())

    @admin.display(description=_("roles"))
    def roles(self, worker: Worker) -> str:
        return ", ".join(group.name for group in worker.user.groups.all())

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        worker_assignments_save(form)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class WorkerInline(ScopedInlineMixin, admin.StackedInline):
    """The worker record of a user: where they work (R-ORG-3)."""

    model = Worker
    form = WorkerForm
    can_delete = False
    extra = 1
    max_num = 1
    filter_horizontal = ("legal_entities", "stores", "address_books")
    verbose_name = _("worker")
    verbose_name_plural = _("worker: employers, stores and address books")


admin.site.unregister(User)


@admin.register(User)
class ClientelingUserAdmin(ScopedAdminMixin, UserAdmin):
    """A user with their worker record, so HQ sets up an associate on one page. Only a
    superuser makes superusers or grants permissions one by one; HQ grants roles."""

    legal_entity_path = "worker__legal_entities"
    inlines = (WorkerInline,)
    list_display = ("username", "first_name", "last_name", "is_staff", "is_active")

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        # The add form first creates the user (username, password); the worker follows.
        return self.inlines if obj else ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = tuple(super().get_readonly_fields(request, obj))
        if may_change_shared(request.user):
            return fixed
        return (*fixed, "is_superuser", "user_permissions")

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Worker:
            super().save_formset(request, form, formset, change)
            return
        changed = formset.save(commit=False)
        for worker_form in formset.forms:
            if worker_form.instance in changed:
                worker_form.instance.save()
                worker_assignments_save(worker_form)


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ScopedAdminMixin, GroupAdmin):
    """Roles: groups of the operations HQ grants (R-PERM-1). A role serves every legal
    entity, so only a superuser changes what it grants."""

    shared = True

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "permissions":
            kwargs["queryset"] = (
                Permission.objects.filter(content_type__app_label__in=PRODUCT_APPS)
                .select_related("content_type")
                .order_by("content_type__app_label", "codename")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
