"""Back-office forms check input with the same service functions that save it, so a rule's
message shows beside its field and no rule is written twice."""

from __future__ import annotations

import copy
from typing import Any

from django import forms

from clienteling.core.errors import Invalid


class ServiceCheckedForm(forms.ModelForm):
    """A model form whose ``service_check`` (a service's validate function) runs after the
    fields are clean."""

    def service_check(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def candidate(self, data: dict[str, Any]) -> Any:
        """The row as it would be saved, for a check that needs the whole of it."""
        row = copy.copy(self.instance)
        for name, value in data.items():
            setattr(row, name, value)
        return row

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                self.service_check(data)
            except Invalid as error:
                self.add_error(
                    error.field if error.field in self.fields else None, str(error.message)
                )
        return data
