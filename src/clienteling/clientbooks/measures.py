"""The seam where analytics measures enter the card (R-CI-3, R-BOOK-6).

A provider names the measures HQ selected for a legal entity (up to three) and gives their
values for a page of customers in one batched call. Until an analytics service is
configured, ``NoMeasures`` selects none, and cards show attributes only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from clienteling.organization.models import LegalEntity

MAX_MEASURES = 3


@dataclass(frozen=True)
class MeasureDefinition:
    code: str
    label: str
    # A fraction from 0 to 1 that associates read as a percentage (a probability).
    percent: bool = False


@dataclass(frozen=True)
class MeasureValue:
    """A measure of one customer. ``available`` is False when the service could not be asked
    in time; ``value`` is then the last known one (or None) and ``as_of`` says how old."""

    value: Any
    as_of: dt.datetime | None = None
    available: bool = True


class MeasureProvider(Protocol):
    def selected(self, legal_entity: LegalEntity) -> Sequence[MeasureDefinition]: ...

    def values(
        self, legal_entity: LegalEntity, accounts: Sequence[str], codes: Sequence[str]
    ) -> dict[tuple[str, str], MeasureValue]: ...


class NoMeasures:
    """No analytics service: no measures, no values."""

    def selected(self, legal_entity: LegalEntity) -> Sequence[MeasureDefinition]:
        return []

    def values(
        self, legal_entity: LegalEntity, accounts: Sequence[str], codes: Sequence[str]
    ) -> dict[tuple[str, str], MeasureValue]:
        return {}


@cache
def measure_provider() -> MeasureProvider:
    path = getattr(
        settings, "CLIENTELING_MEASURE_PROVIDER", "clienteling.clientbooks.measures.NoMeasures"
    )
    provider: MeasureProvider = import_string(path)()
    return provider
