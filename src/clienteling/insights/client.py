"""Talks to Customer Insights - Data: a token by OAuth 2.0 client credentials from Microsoft
Entra ID, then one batched OData query for a page of customers, through either the
Dataverse Web API or the older Customer Insights API (R-CI-1, R-CI-4)."""

from __future__ import annotations

import hashlib
import json
import re
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from clienteling.insights.endpoints import endpoint_problem
from clienteling.insights.models import ServiceKind
from clienteling.insights.secrets import DEFAULT_AUTHORITY, Secret

# A token is used until this many seconds before it expires.
TOKEN_MARGIN = 300
PAGE_SIZE = 500


ServiceErrorKind = Literal[
    "secret", "auth", "environment", "property", "throttled", "unavailable", "endpoint"
]


class ServiceError(Exception):
    """The analytics service did not answer as hoped, for the reason ``kind`` names."""

    def __init__(
        self,
        kind: ServiceErrorKind,
        message: str,
        *,
        retry_after: float | None = None,
        field: str | None = None,
        code: str = "",
        remote_detail: str = "",
    ) -> None:
        super().__init__(message)
        # The answer's status and short error code, e.g. "HTTP 400 BadRequest".
        self.code = code
        self.kind = kind
        self.retry_after = retry_after
        # The settings field at fault, when the error itself knows it.
        self.field = field
        # What the service said, only to match it against the settings; never shown to a
        # user nor stored (R-SEC-1).
        self.remote_detail = remote_detail


def _require_endpoint(url: str, field: str) -> None:
    """Credentials and tokens go only to an allowed endpoint (R-SEC-1)."""
    problem = endpoint_problem(url)
    if problem is not None:
        raise ServiceError("endpoint", problem, field=field)


@dataclass(frozen=True)
class Connection:
    """What a request needs, copied from InsightsSettings (no secret in it)."""

    service: str
    service_url: str
    tenant_id: str
    authority_host: str
    client_id: str
    secret_reference: str
    environment_id: str
    alternate_customer_id: str

    @property
    def scope(self) -> str:
        if self.service == ServiceKind.DATAVERSE:
            return self.service_url.rstrip("/") + "/.default"
        parts = urlsplit(self.service_url)
        return f"{parts.scheme}://{parts.netloc}/.default"


_tokens: dict[str, tuple[str, float]] = {}
_tokens_lock = threading.Lock()
_clients: dict[str, httpx.Client] = {}


def http() -> httpx.Client:
    """One pooled client per process (per trusted CA bundle)."""
    bundle = settings.AZURE_CA_BUNDLE or ""
    client = _clients.get(bundle)
    if client is None:
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=bundle) if bundle else True
        )
        client = _clients.setdefault(bundle, httpx.Client(verify=verify, follow_redirects=False))
    return client


def forget_tokens() -> None:
    with _tokens_lock:
        _tokens.clear()


def token(connection: Connection, secret: Secret, *, timeout: float) -> str:
    """An access token for the service, cached in this process until shortly before it
    expires. The key includes a hash of the secret, so a rotated secret gets a new token."""
    fingerprint = hashlib.sha256(secret.value.encode()).hexdigest()[:16]
    key = "|".join(
        [connection.authority_host, connection.tenant_id, connection.client_id, connection.scope]
    )
    key += "|" + fingerprint
    with _tokens_lock:
        held = _tokens.get(key)
    if held is not None and held[1] - TOKEN_MARGIN > time.time():
        return held[0]
    authority = (connection.authority_host or DEFAULT_AUTHORITY).rstrip("/")
    url = f"{authority}/{quote(connection.tenant_id, safe='')}/oauth2/v2.0/token"
    _require_endpoint(url, "authority_host")
    try:
        response = http().post(
            url,
            data={
                "grant_type": "client_credentials",
                "client_id": connection.client_id,
                "client_secret": secret.value,
                "scope": connection.scope,
            },
            timeout=timeout,
        )
    except httpx.HTTPError as error:
        raise ServiceError(
            "unavailable",
            _("Microsoft Entra ID cannot be reached: %(reason)s") % {"reason": _reason(error)},
        ) from None
    body = _json(response)
    if response.status_code != 200 or "access_token" not in body:
        raise ServiceError(
            "auth",
            _("Microsoft Entra ID refused the application's credentials (%(status)s).")
            % {"status": _entra_code(response.status_code, body)},
        )
    access_token = str(body["access_token"])
    with _tokens_lock:
        _tokens[key] = (access_token, time.time() + float(body.get("expires_in", 3599)))
    return access_token


def _reason(error: BaseException) -> str:
    """A failed connection, by its kind (ConnectError, ReadTimeout …)."""
    return type(error).__name__


SAFE_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def _entra_code(status: int, body: dict[str, Any]) -> str:
    """Entra ID's status, error and AADSTS numbers, which name the cause exactly."""
    numbers = body.get("error_codes")
    tags = (
        [f"AADSTS{n}" for n in numbers if isinstance(n, int)] if isinstance(numbers, list) else []
    )
    return " ".join([_answer_code(status, body.get("error")), *tags[:3]])


def _answer_code(status: int, code: Any) -> str:
    """All that is said of an answer: its status, and its error code when it is a short
    token such as invalid_client or 0x80060888; never the service's own sentence."""
    if isinstance(code, str) and SAFE_CODE.match(code):
        return f"HTTP {status} {code}"
    return f"HTTP {status}"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _first_url(connection: Connection, accounts: list[str], measures: list[str]) -> str:
    alternate = connection.alternate_customer_id
    values = ",".join(_odata_string(a) for a in accounts)
    if connection.service == ServiceKind.DATAVERSE:
        select = f"msdynci_customerid,{alternate},msdynci_measures"
        where = f"Microsoft.Dynamics.CRM.In(PropertyName='{alternate}',PropertyValues=[{values}])"
        base = connection.service_url.rstrip("/") + "/api/data/v9.2/msdynci_customermeasures"
        return f"{base}?$select={quote(select, safe=',')}&$filter={quote(where, safe='')}"
    select = ",".join(["CustomerId", alternate, *measures])
    where = f"{alternate} in ({values})"
    base = (
        connection.service_url.rstrip("/")
        + f"/v1/instances/{quote(connection.environment_id, safe='')}/data/Customer_Measure"
    )
    return (
        f"{base}?$select={quote(select, safe=',')}&$filter={quote(where, safe='')}&$top={PAGE_SIZE}"
    )


def measures_fetch(
    connection: Connection,
    secret: Secret,
    accounts: list[str],
    measures: list[str],
    *,
    deadline: float,
) -> dict[str, dict[str, Any]]:
    """The measures of these customers, ``{account: {measure: value}}``, in one query
    (following ``@odata.nextLink`` if the service pages). Retries within the deadline, with
    backoff, and waits out a ``Retry-After`` when it fits; otherwise raises ServiceError."""
    url: str | None = _first_url(connection, accounts, measures)
    found: dict[str, dict[str, Any]] = {}
    attempt = 0
    while url is not None:
        # The first URL from the settings; the next ones (@odata.nextLink) from the answer.
        _require_endpoint(url, "service_url")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ServiceError("unavailable", _("The analytics service did not answer in time."))
        try:
            response = http().get(
                url,
                headers={
                    "Authorization": f"Bearer {token(connection, secret, timeout=remaining)}",
                    "Accept": "application/json",
                    "OData-MaxVersion": "4.0",
                    "OData-Version": "4.0",
                    "Prefer": f"odata.maxpagesize={PAGE_SIZE}",
                },
                timeout=max(0.01, deadline - time.monotonic()),
            )
        except httpx.TimeoutException:
            raise ServiceError(
                "unavailable", _("The analytics service did not answer in time.")
            ) from None
        except httpx.HTTPError as error:
            failure = ServiceError(
                "unavailable",
                _("The analytics service cannot be reached: %(reason)s")
                % {"reason": _reason(error)},
            )
            attempt += 1
            if _backoff(attempt, deadline, None):
                continue
            raise failure from None
        status = response.status_code
        if status == 200:
            body = _json(response)
            for row in body.get("value", []):
                _collect(connection, row, measures, found)
            url = body.get("@odata.nextLink")
            attempt = 0
            continue
        message = _service_message(response)
        if status == 429:
            retry_after = _retry_after(response)
            attempt += 1
            if _backoff(attempt, deadline, retry_after):
                continue
            raise ServiceError(
                "throttled",
                _("The analytics service asks to wait %(seconds)s s: %(reason)s")
                % {"seconds": f"{retry_after or 1:g}", "reason": message},
                retry_after=retry_after,
            )
        if status in (401, 403):
            forget_tokens()
            raise ServiceError(
                "auth",
                _("The analytics service refused the token: %(reason)s") % {"reason": message},
            )
        if status == 404:
            raise ServiceError(
                "environment",
                _("The analytics service does not know environment %(environment)s: %(reason)s")
                % {"environment": connection.environment_id, "reason": message},
            )
        if status == 400:
            raise ServiceError(
                "property",
                _("The analytics service does not know a property the settings name (%(status)s).")
                % {"status": message},
                code=message,
                remote_detail=_remote_text(response),
            )
        attempt += 1
        if status >= 500 and _backoff(attempt, deadline, None):
            continue
        raise ServiceError(
            "unavailable",
            _("The analytics service answered %(status)s: %(reason)s")
            % {"status": status, "reason": message},
        )
    return found


def _collect(
    connection: Connection,
    row: dict[str, Any],
    measures: list[str],
    found: dict[str, dict[str, Any]],
) -> None:
    account = row.get(connection.alternate_customer_id)
    if not isinstance(account, str):
        return
    if connection.service == ServiceKind.DATAVERSE:
        raw = row.get("msdynci_measures") or "{}"
        try:
            blob = json.loads(raw) if isinstance(raw, str) else dict(raw)
        except (ValueError, TypeError):
            blob = {}
        found[account] = {m: blob[m] for m in measures if m in blob}
    else:
        found[account] = {m: row[m] for m in measures if m in row}


def _service_message(response: httpx.Response) -> str:
    error = _json(response).get("error")
    return _answer_code(
        response.status_code, error.get("code") if isinstance(error, dict) else None
    )


def _remote_text(response: httpx.Response) -> str:
    error = _json(response).get("error")
    return str(error.get("message", "")) if isinstance(error, dict) else ""


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _backoff(attempt: int, deadline: float, retry_after: float | None) -> bool:
    """Sleep before the next attempt if it fits before the deadline; False when it does not."""
    if attempt > 3:
        return False
    wait = retry_after if retry_after is not None else 0.05 * 2 ** (attempt - 1)
    if time.monotonic() + wait >= deadline:
        return False
    time.sleep(wait)
    return True
