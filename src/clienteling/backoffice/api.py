"""API tokens in the back office: list, create (the token is shown once), expire, revoke."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clienteling.api.models import ApiToken
from clienteling.api.services import api_token_create, api_token_expire, api_token_revoke
from clienteling.backoffice.scoping import ScopedAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    legal_entity_path = "owner__legal_entities"
    list_display = (
        "prefix",
        "name",
        "owner",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "state",
    )
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "prefix", "owner__user__username")
    autocomplete_fields = ()
    raw_id_fields = ("owner",)
    fields = ("owner", "name", "expires_at", "prefix", "created_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "revoked_at", "last_used_at")
    actions = ("expire_tokens", "revoke_tokens")

    @admin.display(description=gettext_lazy("state"))
    def state(self, token: ApiToken) -> str:
        if token.revoked_at is not None:
            return _("revoked")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            return _("expired")
        return _("active")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A token's owner never changes once made; only its name and expiry may.
        if obj is not None:
            return (*self.readonly_fields, "owner")
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = api_token_create(owner=obj.owner, name=obj.name, expires_at=obj.expires_at)
        obj.pk = issued.record.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            _("Copy the new token now; it is not stored and cannot be shown again: %(token)s")
            % {"token": issued.token},
        )

    @admin.action(description=gettext_lazy("Expire the selected tokens now"))
    def expire_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset)
        for token in tokens:
            api_token_expire(token=token)
        self.message_user(
            request,
            ngettext("%(count)d token expired.", "%(count)d tokens expired.", len(tokens))
            % {"count": len(tokens)},
        )

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset)
        for token in tokens:
            api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(tokens))
            % {"count": len(tokens)},
        )
