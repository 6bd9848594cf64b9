"""Back office for activity types (R-ACT-1) and the record of activities and notes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clienteling.backoffice.scoping import RecordAdmin, ScopedAdmin, ScopedInlineMixin
from clienteling.core.cache import SharedCacheUnavailable
from clienteling.core.errors import DomainError
from clienteling.timeline.models import Activity, ActivityType, BookEvent, Note, NoteChange
from clienteling.timeline.services import activity_type_save


@admin.register(ActivityType)
class ActivityTypeAdmin(ScopedAdmin):
    legal_entity_path = "legal_entity"
    list_display = ("code", "name", "legal_entity", "is_appointment", "active", "display_order")
    list_filter = ("legal_entity", "active", "is_appointment")
    list_editable = ("active", "display_order")
    search_fields = ("code", "name", "name_it", "name_lt")
    ordering = ("legal_entity__code", "display_order", "code")
    list_select_related = ("legal_entity",)
    actions = ("retire", "reactivate")
    fieldsets = (
        (None, {"fields": ("legal_entity", "code", "is_appointment", "display_order", "active")}),
        (_("Name in each language"), {"fields": ("name", "name_it", "name_lt")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The code is what activities and integrations refer to: fixed once created.
        return ("legal_entity", "code") if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Retire instead: deleting a type would lose the history recorded with it.
        return False

    def save_model(self, request: HttpRequest, obj: ActivityType, form: Any, change: bool) -> None:
        try:
            activity_type_save(activity_type=obj)
        except SharedCacheUnavailable:
            raise  # answered as a 503 page: the change was not made
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    @admin.action(description=_("Retire the selected activity types"))
    def retire(self, request: HttpRequest, queryset: QuerySet[ActivityType]) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(description=_("Offer the selected activity types again"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[ActivityType]) -> None:
        self._set_active(request, queryset, active=True)

    def _set_active(
        self, request: HttpRequest, queryset: QuerySet[ActivityType], *, active: bool
    ) -> None:
        changed = 0
        for activity_type in queryset:
            if activity_type.active != active:
                activity_type.active = active
                activity_type_save(activity_type=activity_type)
                changed += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d activity type changed.", "%(count)d activity types changed.", changed
            )
            % {"count": changed},
        )


@admin.register(Activity)
class ActivityAdmin(RecordAdmin):
    legal_entity_path = "legal_entity"
    list_display = ("occurred_at", "customer", "type", "subject", "author", "store")
    list_filter = ("legal_entity", "type")
    search_fields = ("subject", "customer__account", "customer__last_name")
    list_select_related = ("customer", "type", "author__user", "store")
    date_hierarchy = "occurred_at"
    show_full_result_count = False


class NoteChangeInline(ScopedInlineMixin, admin.TabularInline):
    model = NoteChange
    extra = 0
    fields = ("kind", "previous_text", "changed_by", "changed_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Note)
class NoteAdmin(RecordAdmin):
    legal_entity_path = "legal_entity"
    list_display = ("created_at", "customer", "author", "short_text", "edited_at", "deleted_at")
    list_filter = ("legal_entity",)
    search_fields = ("text", "customer__account", "customer__last_name")
    list_select_related = ("customer", "author__user")
    inlines = (NoteChangeInline,)
    show_full_result_count = False

    @admin.display(description=_("text"))
    def short_text(self, note: Note) -> str:
        return note.text[:80]


@admin.register(BookEvent)
class BookEventAdmin(RecordAdmin):
    legal_entity_path = "legal_entity"
    list_display = (
        "occurred_at",
        "customer",
        "kind",
        "book_number",
        "owner",
        "previous_owner",
        "actor",
    )
    list_filter = ("legal_entity", "kind")
    search_fields = ("customer__account", "book_number")
    list_select_related = ("customer", "owner__user", "previous_owner__user", "actor__user")
    show_full_result_count = False
