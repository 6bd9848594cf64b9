"""Driving the Django admin as HQ would: open a form, change what a person would, submit."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest


class FormFields(HTMLParser):
    """The values a browser would submit for the page's main form, as they stand."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_multiple = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_multiple = name, "multiple" in a
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data


def submit(client: Any, url: str, changes: dict[str, Any], follow: bool = True) -> Any:
    """GET the admin form at ``url``, apply ``changes`` (None removes a field, a list sets a
    multiple choice) and POST it back."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    parser = FormFields()
    parser.feed(page.content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.fields:
        if name in ("q", "language"):
            continue
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = [str(value)]
    return client.post(url, data, follow=follow)


@pytest.fixture
def hq(client, django_user_model):
    """An HQ administrator logged in to the back office."""
    admin = django_user_model.objects.create_superuser("hq", "hq@example.com", "secret")
    client.force_login(admin)
    return client
