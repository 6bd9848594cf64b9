"""The login backend: Django's, reading a session's login together with its worker."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class WorkerLoginBackend(ModelBackend):
    """Every store app page needs the login and the worker behind it: one query, not two."""

    def get_user(self, user_id: Any) -> Any:
        users = get_user_model()._default_manager.select_related("worker")
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
