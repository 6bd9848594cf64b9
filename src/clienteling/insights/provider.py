"""Measures on the card from Customer Insights (R-CI-3, R-CI-4).

A page of cards asks for the measures of its customers in one batched request, and waits
for it at most ``INSIGHTS_TIME_BUDGET`` seconds. Values are cached with the time they were
read (in Redis when configured, so every process shares them); a value younger than
``INSIGHTS_FRESH_SECONDS`` is not asked for again. A request that does not answer in time
keeps running in the background and fills the cache for the next page. After repeated
failures, or when the service says ``Retry-After``, a circuit breaker stops asking for a
while; meanwhile each measure reads "unavailable", with its last known value and age.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from clienteling.clientbooks.measures import MeasureDefinition, MeasureValue
from clienteling.core.cache import forget
from clienteling.insights.client import Connection, ServiceError, measures_fetch
from clienteling.insights.models import InsightsSettings, KeyVault
from clienteling.insights.secrets import SecretError, reference_check, secret_resolve
from clienteling.organization.models import LegalEntity

log = logging.getLogger(__name__)

KNOWN_LABELS = {
    "ChurnProbability": _("Churn probability"),
    "ChurnRisk": _("Churn risk"),
    "CustomerLifetimeValue": _("Customer lifetime value"),
    "NextBestAction": _("Next best action"),
}
# Consecutive failures that open the circuit, and how long it stays open.
BREAKER_FAILURES = 3
BREAKER_OPEN_SECONDS = 30.0
# Values are kept this long so that a long outage still shows the last known value.
KEEP_SECONDS = 7 * 24 * 3600
SETTINGS_TIMEOUT = 600

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="insights")
_in_flight: dict[int, int] = {}
_in_flight_lock = threading.Lock()
MAX_IN_FLIGHT = 2


def drain(timeout: float = 10.0) -> None:
    """Wait until no request to the service is in flight (tests, shutdown)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with _in_flight_lock:
            if not any(_in_flight.values()):
                return
        time.sleep(0.02)


def measure_label(name: str) -> str:
    if name in KNOWN_LABELS:
        return str(KNOWN_LABELS[name])
    # "PurchaseFrequency" → "Purchase frequency"
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.replace("_", " ")).split()
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else name


# --- the settings, cached and dropped on change -------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    enabled: bool
    connection: Connection | None = None
    measures: tuple[str, ...] = ()


def _settings_key(legal_entity_id: int) -> str:
    return f"insights:settings:v1:{legal_entity_id}"


def settings_snapshot(legal_entity: LegalEntity) -> Snapshot:
    key = _settings_key(legal_entity.pk)
    snapshot = cache.get(key)
    if snapshot is None:
        row = InsightsSettings.objects.filter(legal_entity=legal_entity, enabled=True).first()
        snapshot = (
            Snapshot(False)
            if row is None
            else Snapshot(True, connection_of(row), tuple(row.measures))
        )
        cache.set(key, snapshot, SETTINGS_TIMEOUT)
    return snapshot


def forget_settings(legal_entity_id: int) -> None:
    forget(_settings_key(legal_entity_id))


def connection_of(row: InsightsSettings) -> Connection:
    return Connection(
        service=row.service,
        service_url=row.service_url,
        tenant_id=row.tenant_id,
        authority_host=row.authority_host,
        client_id=row.client_id,
        secret_reference=row.secret_reference,
        environment_id=row.environment_id,
        alternate_customer_id=row.alternate_customer_id,
    )


# --- the circuit breaker, shared through the cache ----------------------------------------


def _breaker_key(legal_entity_id: int) -> str:
    return f"insights:breaker:v1:{legal_entity_id}"


def breaker_allows(legal_entity_id: int) -> bool:
    """Closed, or open long enough to let one trial request through (half-open)."""
    state = cache.get(_breaker_key(legal_entity_id))
    if not state or state.get("open_until", 0) <= time.time():
        if state and state.get("failures", 0) >= BREAKER_FAILURES:
            # Half-open: this request is the trial; others wait until it has answered.
            state["open_until"] = time.time() + BREAKER_OPEN_SECONDS
            cache.set(_breaker_key(legal_entity_id), state, KEEP_SECONDS)
        return True
    return False


def breaker_failure(legal_entity_id: int, error: ServiceError) -> None:
    key = _breaker_key(legal_entity_id)
    state = cache.get(key) or {"failures": 0, "open_until": 0.0}
    state["failures"] += 1
    if state["failures"] >= BREAKER_FAILURES:
        state["open_until"] = time.time() + BREAKER_OPEN_SECONDS
    if error.retry_after:
        # The service said when to come back: nobody asks before then.
        state["open_until"] = max(state["open_until"], time.time() + error.retry_after)
    cache.set(key, state, KEEP_SECONDS)
    log.warning("customer analytics for legal entity %s: %s", legal_entity_id, error.kind)


def breaker_success(legal_entity_id: int) -> None:
    cache.delete(_breaker_key(legal_entity_id))


def breaker_state(legal_entity_id: int) -> dict[str, Any]:
    return cache.get(_breaker_key(legal_entity_id)) or {"failures": 0, "open_until": 0.0}


# --- cached values ------------------------------------------------------------------------


def _value_key(legal_entity_id: int, account: str) -> str:
    return f"insights:measures:v1:{legal_entity_id}:{account}"


def _store(legal_entity_id: int, accounts: Sequence[str], found: dict[str, dict[str, Any]]) -> None:
    now = time.time()
    cache.set_many(
        {_value_key(legal_entity_id, a): {"at": now, "values": found.get(a, {})} for a in accounts},
        KEEP_SECONDS,
    )


def _fetch_and_store(
    legal_entity_id: int,
    connection: Connection,
    vault: KeyVault | None,
    accounts: list[str],
    measures: list[str],
    deadline: float,
) -> dict[str, dict[str, Any]]:
    try:
        try:
            secret = secret_resolve(connection.secret_reference, vault=vault)
        except SecretError as error:
            raise ServiceError("secret", str(error)) from None
        found = measures_fetch(connection, secret, accounts, measures, deadline=deadline)
    except ServiceError as error:
        breaker_failure(legal_entity_id, error)
        raise
    except Exception as error:  # noqa: BLE001 -- a broken service must never break a page
        breaker_failure(legal_entity_id, ServiceError("unavailable", type(error).__name__))
        raise ServiceError("unavailable", type(error).__name__) from None
    else:
        breaker_success(legal_entity_id)
        _store(legal_entity_id, accounts, found)
        return found
    finally:
        with _in_flight_lock:
            _in_flight[legal_entity_id] = max(0, _in_flight.get(legal_entity_id, 1) - 1)


class AnalyticsMeasures:
    """The measure provider of settings.CLIENTELING_MEASURE_PROVIDER."""

    def selected(self, legal_entity: LegalEntity) -> Sequence[MeasureDefinition]:
        snapshot = settings_snapshot(legal_entity)
        if not snapshot.enabled:
            return []
        return [
            MeasureDefinition(name, measure_label(name), percent=name.endswith("Probability"))
            for name in snapshot.measures
        ]

    def values(
        self, legal_entity: LegalEntity, accounts: Sequence[str], codes: Sequence[str]
    ) -> dict[tuple[str, str], MeasureValue]:
        snapshot = settings_snapshot(legal_entity)
        if not snapshot.enabled or snapshot.connection is None or not accounts:
            return {}
        started = time.monotonic()
        le = legal_entity.pk
        keys = {a: _value_key(le, a) for a in accounts}
        held = cache.get_many(list(keys.values()))
        cached = {a: held[k] for a, k in keys.items() if k in held}
        now = time.time()
        stale = [
            a
            for a in accounts
            if now - cached.get(a, {}).get("at", 0) > settings.INSIGHTS_FRESH_SECONDS
        ]
        fresh: dict[str, dict[str, Any]] = {}
        if stale and breaker_allows(le) and self._may_start(le):
            fresh = self._ask(le, snapshot, stale, list(codes), started)
        result: dict[tuple[str, str], MeasureValue] = {}
        for account in accounts:
            if account in fresh:
                values, at, available = fresh[account], now, True
            elif account in cached:
                entry = cached[account]
                values, at = entry["values"], entry["at"]
                available = account not in stale
            else:
                values, at, available = {}, None, False
            as_of = dt.datetime.fromtimestamp(at, tz=dt.UTC) if at else None
            for code in codes:
                result[(account, code)] = MeasureValue(values.get(code), as_of, available)
        return result

    def _may_start(self, le: int) -> bool:
        with _in_flight_lock:
            if _in_flight.get(le, 0) >= MAX_IN_FLIGHT:
                return False
            _in_flight[le] = _in_flight.get(le, 0) + 1
            return True

    def _ask(
        self, le: int, snapshot: Snapshot, accounts: list[str], codes: list[str], started: float
    ) -> dict[str, dict[str, Any]]:
        assert snapshot.connection is not None
        connection = snapshot.connection
        budget = settings.INSIGHTS_TIME_BUDGET
        # The background attempt gets more time than the page waits, so that a slow answer
        # still warms the cache for the next page.
        deadline = started + max(budget * 10, 5.0)
        try:
            # The vault connection is read here, where the request's database connection is.
            vault = _vault_of(connection.secret_reference)
            future: Future[dict[str, dict[str, Any]]] = _executor.submit(
                _fetch_and_store, le, connection, vault, accounts, codes, deadline
            )
        except Exception:  # the page goes on without measures
            log.exception("customer analytics for legal entity %s: not asked", le)
            with _in_flight_lock:
                _in_flight[le] = max(0, _in_flight.get(le, 1) - 1)
            return {}
        try:
            return future.result(timeout=max(0.0, budget - (time.monotonic() - started)))
        except FutureTimeout:
            return {}
        except ServiceError:
            return {}


def _vault_of(reference: str) -> KeyVault | None:
    try:
        match = reference_check(reference)
    except SecretError:
        return None  # reported by the fetch, as a failure of the service
    if not match["vault"]:
        return None
    return KeyVault.objects.filter(name=match["vault"]).first()
