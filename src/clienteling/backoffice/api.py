"""API tokens in the back office: list, create (the token is shown once), expire, revoke."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clienteling.api.models import ApiToken
from clienteling.api.services import (
    api_token_create,
    api_token_expire,
    api_token_expiry_validate,
    api_token_revoke,
    api_token_update,
)
from clienteling.backoffice.forms import ServiceCheckedForm
from clienteling.backoffice.scoping import ScopedAdmin


class ApiTokenForm(ServiceCheckedForm):
    class Meta:
        model = ApiToken
        fields = ("owner", "name", "expires_at")

    def service_check(self, data: dict[str, Any]) -> None:
        if self.instance.pk is not None:
            api_token_expiry_validate(token=self.instance, expires_at=data.get("expires_at"))


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    legal_entity_path = "owner__legal_entities"
    form = ApiTokenForm
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
            api_token_update(token=obj, name=obj.name, expires_at=obj.expires_at)
            return
        issued = api_token_create(owner=obj.owner, name=obj.name, expires_at=obj.expires_at)
        obj.pk = issued.record.pk
        obj.refresh_from_db()
        # Shown once, in this response: never in a cookie or the session (a message would be).
        request.issued_token = issued.token  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        token = getattr(request, "issued_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("New API token"),
            "record": obj,
            "token": token,
        }
        response = TemplateResponse(request, "admin/api/apitoken/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

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
