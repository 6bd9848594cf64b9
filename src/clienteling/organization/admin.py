"""Back office: legal entities, stores, store address books, workers and roles (R-ORG-1..3)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clienteling.clientbooks.models import ClientelingParameters, NumberSequence
from clienteling.clientbooks.services import clienteling_parameters_validate, store_visibility_sync
from clienteling.core.errors import Invalid
from clienteling.organization.models import AddressBook, LegalEntity, Store, Worker

# The permissions a role can carry: the client book operations and the customer grants
# (R-PERM-1, R-PERM-3), and the back-office rights of the product's own models.
PRODUCT_APPS = (
    "organization",
    "customers",
    "attributes",
    "clientbooks",
    "timeline",
    "insights",
    "api",
)


PARAMETER_FIELDS = ("enabled", "membership_mode", "attribute_group", "client_book_sequence")


class ClientelingParametersForm(forms.ModelForm):
    class Meta:
        model = ClientelingParameters
        fields = PARAMETER_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        legal_entity = getattr(self.instance, "legal_entity", None)
        if self.instance.legal_entity_id and legal_entity is not None:
            try:
                clienteling_parameters_validate(
                    legal_entity=legal_entity,
                    **{name: data[name] for name in PARAMETER_FIELDS if name in data},
                )
            except Invalid as error:
                field = error.field if error.field in self.fields else None
                self.add_error(field, str(error.message))
        return data


class ClientelingParametersInline(admin.StackedInline):
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
class LegalEntityAdmin(admin.ModelAdmin):
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


@admin.register(AddressBook)
class AddressBookAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "legal_entity")
    list_filter = ("legal_entity",)
    search_fields = ("code", "name")
    list_select_related = ("legal_entity",)
    ordering = ("legal_entity__code", "code")


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "legal_entity", "address_book_list")
    list_filter = ("legal_entity",)
    search_fields = ("code", "name")
    list_select_related = ("legal_entity",)
    filter_horizontal = ("address_books",)
    ordering = ("legal_entity__code", "code")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Store]:
        return super().get_queryset(request).prefetch_related("address_books")

    @admin.display(description=_("store address books"))
    def address_book_list(self, store: Store) -> str:
        return ", ".join(book.code for book in store.address_books.all())

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Which store shows whose client book follows the address books (R-BOOK-9).
        store = form.instance
        owners = Worker.objects.filter(
            Q(address_books__stores=store) | Q(stores=store), client_books__isnull=False
        ).distinct()
        store_visibility_sync(owners=list(owners))


class WorkerForm(forms.ModelForm):
    class Meta:
        model = Worker
        fields = ("user", "personnel_number", "legal_entities", "stores", "address_books")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        employers = set(data.get("legal_entities") or [])
        for name in ("stores", "address_books"):
            foreign = [item for item in data.get(name) or [] if item.legal_entity not in employers]
            if foreign:
                self.add_error(
                    name,
                    _("%(items)s belong to a legal entity the worker is not employed by.")
                    % {"items": ", ".join(item.code for item in foreign)},
                )
        return data


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
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
        super().save_related(request, form, formsets, change)
        store_visibility_sync(owners=[form.instance])


class WorkerInline(admin.StackedInline):
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
class ClientelingUserAdmin(UserAdmin):
    """A user with their worker record, so HQ sets up an associate on one page."""

    inlines = (WorkerInline,)
    list_display = ("username", "first_name", "last_name", "is_staff", "is_active")

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        # The add form first creates the user (username, password); the worker follows.
        return self.inlines if obj else ()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        worker = Worker.objects.filter(user=form.instance).first()
        if worker is not None:
            store_visibility_sync(owners=[worker])


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """Roles: groups of the operations HQ grants (R-PERM-1)."""

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "permissions":
            kwargs["queryset"] = (
                Permission.objects.filter(content_type__app_label__in=PRODUCT_APPS)
                .select_related("content_type")
                .order_by("content_type__app_label", "codename")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
