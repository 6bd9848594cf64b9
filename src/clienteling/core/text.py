"""What text the product accepts anywhere: no NUL, no other control character except tab,
line feed and carriage return, no lone surrogate (R-ERR-1). PostgreSQL cannot store NUL or a
lone surrogate, and a CSV or a mail header cannot carry the rest safely."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def folded(value: str) -> str:
    """Text as search compares it: Unicode-normalised (NFKC, so a letter typed with a
    combining accent equals the precomposed one) and case-folded, on either database."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def is_safe_text(value: str) -> bool:
    return UNSAFE.search(value) is None


def unsafe_fields(data: Any, prefix: str = "") -> Iterator[str]:
    """The names (dotted paths: ``customers.0``) of the values or keys in ``data`` — a
    JSON document or a form's items — that hold an unsafe character."""
    if isinstance(data, str):
        if not is_safe_text(data):
            yield prefix or "body"
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(key, str) and not is_safe_text(key):
                yield prefix or "body"
            else:
                yield from unsafe_fields(value, name)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from unsafe_fields(value, f"{prefix}.{index}" if prefix else str(index))
