"""Loopback fakes of the three Microsoft services the analytics integration talks to.

Microsoft Entra ID (OAuth 2.0 client credentials), Azure Key Vault (secrets, with its 401
bearer challenge) and Customer Insights - Data (the Dataverse Web API and the older Customer
Insights API), each a real HTTPS server on 127.0.0.1 with a certificate from a throw-away
certificate authority, so that the official Azure SDK for Python, MSAL and httpx talk to
them unchanged. Used by the test suite and by the demo (``manage.py fake_services``).

Trusting the fakes from a client::

    fakes = FakeServices(tmp_path)
    fakes.start()
    credential = ClientSecretCredential(
        FakeServices.TENANT_ID, client_id, secret,
        authority=fakes.entra_url,          # the fake is not a well-known authority, so
        disable_instance_discovery=True,    # MSAL must not ask login.microsoftonline.com
        connection_verify=fakes.ca_file,    # azure-core's RequestsTransport option
    )
    SecretClient(fakes.vault_url, credential, connection_verify=fakes.ca_file)
    httpx.Client(verify=ssl.create_default_context(cafile=fakes.ca_file))

Key Vault's challenge names as resource a parent of the vault's host (``vault.azure.net``
for ``contoso.vault.azure.net``), and the SDK checks that the vault's host ends with
``.<resource host>``. The fake vault's host is an IP address, so its challenge names
``https://0.0.1:<port>`` (``127.0.0.1:<port>`` ends with ``.0.0.1:<port>``): the SDK's check
passes without ``verify_challenge_resource=False``. Tokens for that resource, or for the
vault URL itself, open the vault.

Pure standard library plus ``cryptography`` (for the certificates); no Django.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import os
import re
import secrets
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

__all__ = ["FakeServices", "ODataSyntaxError"]

MODES = ("normal", "slow", "throttle", "fail")
DEFAULT_MEASURES = ("ChurnProbability", "CustomerLifetimeValue", "NextBestAction")
NEXT_BEST_ACTIONS = (
    "Invite to private viewing",
    "Offer repair service",
    "Suggest matching piece",
    "Preview new collection",
    "Book a styling appointment",
    "Send a thank-you note",
)
KEYVAULT_API_VERSIONS = frozenset(
    {
        "2016-10-01",
        "7.0",
        "7.1",
        "7.2",
        "7.3",
        "7.4",
        "7.5",
        "7.6",
        "2025-07-01",
        "2026-04-01",
    }
)
DATAVERSE_VERSIONS = frozenset({"v9.0", "v9.1", "v9.2"})
DATAVERSE_ENTITY_SET = "msdynci_customermeasures"
DATAVERSE_TYPE = "Microsoft.Dynamics.CRM.msdynci_customermeasure"
DATAVERSE_PAGE_SIZE = 5000
LEGACY_ENTITY = "Customer_Measure"
LEGACY_PAGE_SIZE = 5000
TOKEN_LIFETIME = 3599
SECRET_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
# uuid5 namespaces: the customer id of an account, the row id of an account in an environment.
CUSTOMER_NAMESPACE = uuid.UUID("8a6d1f0e-3c2b-5e4a-9f17-6b0c2d3e4f50")
ROW_NAMESPACE = uuid.UUID("1c9e7b52-4d3a-5f68-8b21-7e0f3a4c5d69")
# The stable creation time of every measure row (Dataverse ``createdon``).
ROWS_CREATED = "2025-01-06T06:00:00Z"


# --------------------------------------------------------------------------------------------
# State


@dataclass
class _Token:
    client_id: str
    tenant: str
    scope: str
    audience: str
    expires_at: float


@dataclass
class _SecretVersion:
    version: str
    value: str
    created: int
    expires_on: int | None


@dataclass
class _Environment:
    environment_id: str
    alternate_key: str
    accounts: dict[str, str] | None  # casefolded -> as registered; None: every account exists
    measures: tuple[str, ...]


@dataclass
class _Mode:
    mode: str = "normal"
    delay: float = 5.0
    retry_after: int = 1
    remaining: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "delay": self.delay,
            "retry_after": self.retry_after,
            "times": self.remaining,
        }


@dataclass
class _Reply:
    status: int
    body: Any = None  # dict/list -> JSON; bytes as is; None -> empty
    headers: dict[str, str] = field(default_factory=dict)


def _json_reply(status: int, body: Any, **headers: str) -> _Reply:
    return _Reply(status, body, dict(headers))


def _odata_error(status: int, code: str, message: str, **headers: str) -> _Reply:
    return _Reply(status, {"error": {"code": code, "message": message}}, dict(headers))


# --------------------------------------------------------------------------------------------
# Measures


def _unit(account: str, salt: str) -> float:
    """A number in [0, 1) derived from the account (stable across processes and machines)."""
    digest = hashlib.sha256(f"{salt}\x00{account}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def measure_value(account: str, measure: str) -> Any:
    if measure == "ChurnProbability":
        return round(_unit(account, measure), 2)
    if measure == "CustomerLifetimeValue":
        return round(100 + _unit(account, measure) * (50000 - 100), 2)
    if measure == "NextBestAction":
        return NEXT_BEST_ACTIONS[int(_unit(account, measure) * len(NEXT_BEST_ACTIONS))]
    return round(_unit(account, measure), 2)


def customer_id_for(account: str) -> str:
    return str(uuid.uuid5(CUSTOMER_NAMESPACE, account))


# --------------------------------------------------------------------------------------------
# OData $filter: just the shapes a batched lookup by one key uses


class ODataSyntaxError(ValueError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<punct>[(),=\[\]]))"
)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ODataSyntaxError(f"Syntax error at position {position} in '{text}'.")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "string":
            value = value[1:-1].replace("''", "'")
        tokens.append((kind, value, match.start(kind)))
        position = match.end()
    return tokens


class _FilterParser:
    """``p eq 'A'``, ``p in ('A','B')``, ``Microsoft.Dynamics.CRM.In(PropertyName='p',
    PropertyValues=['A','B'])``, joined by ``or``, in parentheses or not. Yields the
    (property, values) pairs."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    def parse(self) -> list[tuple[str, list[str]]]:
        terms = self._expression()
        if self.index != len(self.tokens):
            self._fail()
        return terms

    def _fail(self) -> None:
        position = self.tokens[self.index][2] if self.index < len(self.tokens) else len(self.text)
        raise ODataSyntaxError(f"Syntax error at position {position} in '{self.text}'.")

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, kind: str, value: str | None = None) -> str:
        token = self._peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            self._fail()
            raise AssertionError  # unreachable
        self.index += 1
        return token[1]

    def _at(self, kind: str, value: str) -> bool:
        token = self._peek()
        return token is not None and token[0] == kind and token[1] == value

    def _expression(self) -> list[tuple[str, list[str]]]:
        terms = self._term()
        while self._at("name", "or"):
            self.index += 1
            terms += self._term()
        return terms

    def _strings(self, close: str) -> list[str]:
        values = [self._take("string")]
        while self._at("punct", ","):
            self.index += 1
            values.append(self._take("string"))
        self._take("punct", close)
        return values

    def _term(self) -> list[tuple[str, list[str]]]:
        if self._at("punct", "("):
            self.index += 1
            terms = self._expression()
            self._take("punct", ")")
            return terms
        name = self._take("name")
        if name == "Microsoft.Dynamics.CRM.In":
            self._take("punct", "(")
            self._take("name", "PropertyName")
            self._take("punct", "=")
            prop = self._take("string")
            self._take("punct", ",")
            self._take("name", "PropertyValues")
            self._take("punct", "=")
            self._take("punct", "[")
            values = self._strings("]")
            self._take("punct", ")")
            return [(prop, values)]
        if self._at("name", "eq"):
            self.index += 1
            return [(name, [self._take("string")])]
        if self._at("name", "in"):
            self.index += 1
            self._take("punct", "(")
            return [(name, self._strings(")"))]
        self._fail()
        raise AssertionError  # unreachable


def parse_filter(text: str) -> list[tuple[str, list[str]]]:
    return _FilterParser(text).parse()


# --------------------------------------------------------------------------------------------
# Certificates


def _write_private(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _write_public(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def ensure_certificates(state_dir: Path) -> tuple[Path, Path, Path]:
    """``(ca.pem, server.pem, server-key.pem)`` in state_dir: reused while valid for at least
    another day (the server certificate is re-issued from the same authority when only it is
    stale), otherwise made anew."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    state_dir.mkdir(parents=True, exist_ok=True)
    ca_file = state_dir / "ca.pem"
    ca_key_file = state_dir / "ca-key.pem"
    cert_file = state_dir / "server.pem"
    key_file = state_dir / "server-key.pem"
    now = dt.datetime.now(dt.UTC)
    soon = now + dt.timedelta(days=1)
    loopback = ipaddress.ip_address("127.0.0.1")

    ca_cert: x509.Certificate | None = None
    ca_key: Any = None
    try:
        ca_cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
        if ca_cert.not_valid_after_utc < soon or ca_cert.public_key() != ca_key.public_key():
            ca_cert = None
    except (OSError, ValueError, TypeError):
        ca_cert = None
    if ca_cert is not None:
        try:
            server = x509.load_pem_x509_certificate(cert_file.read_bytes())
            server_key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
            server.verify_directly_issued_by(ca_cert)
            names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            if (
                server.not_valid_after_utc >= soon
                and server.public_key() == server_key.public_key()
                and loopback in names.get_values_for_type(x509.IPAddress)
                and "localhost" in names.get_values_for_type(x509.DNSName)
            ):
                return ca_file, cert_file, key_file
        except (OSError, ValueError, TypeError, x509.ExtensionNotFound):
            pass
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Clienteling demo"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Clienteling fake services CA"),
            ]
        )
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(
            ca_key_file,
            ca_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        _write_public(ca_file, ca_cert.public_bytes(serialization.Encoding.PEM))

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(min(now + dt.timedelta(days=365), ca_cert.not_valid_after_utc))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(loopback), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(
        key_file,
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    _write_public(cert_file, server_cert.public_bytes(serialization.Encoding.PEM))
    return ca_file, cert_file, key_file


# --------------------------------------------------------------------------------------------
# HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    timeout = 60  # idle keep-alive connections are closed after a minute

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = _Request(
            method=self.command,
            target=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            reply = self.server.route(request)
        except Exception as error:  # noqa: BLE001  (a bug in the fake: answer, remember it)
            self.server.fakes._record_error(f"{self.command} {self.path}: {error!r}")
            reply = _odata_error(500, "InternalServerError", f"The fake failed: {error!r}")
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        headers = dict(reply.headers)
        if isinstance(reply.body, bytes):
            payload = reply.body
        elif reply.body is None:
            payload = b""
        else:
            payload = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


@dataclass
class _Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    def bearer(self) -> str | None:
        header = self.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return value.strip()

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8") or "{}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self,
        port: int,
        context: ssl.SSLContext,
        fakes: FakeServices,
        route: Callable[[_Request], _Reply],
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.context = context
        self.fakes = fakes
        self.route = route
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake happens here, in the connection's own thread, so that a client
        # that stalls or refuses the certificate does not hold up the accept loop.
        request.settimeout(30)
        with contextlib.suppress(OSError):  # small answers go out at once (no Nagle delay)
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            connection = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        with self._connections_lock:
            self._connections.add(connection)
        try:
            _Handler(connection, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            with contextlib.suppress(OSError):
                connection.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # quiet: a client hanging up is not news

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _paging_cookie_last(skiptoken: str) -> tuple[int, str] | None:
    """(page number, last row id) of a Dataverse ``$skiptoken``: ``<cookie pagenumber="2"
    pagingcookie="%3ccookie%20page%3d%221%22%3e%3cmsdynci_customermeasureid%20last%3d..."
    istracking="False" />``."""
    page = re.search(r'pagenumber="(\d+)"', skiptoken)
    cookie = re.search(r'pagingcookie="([^"]*)"', skiptoken)
    if page is None or cookie is None:
        return None
    last = re.search(r'last="\{([0-9A-Fa-f-]{36})\}"', unquote(cookie.group(1)))
    if last is None:
        return None
    return int(page.group(1)), last.group(1).lower()


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _query_string(params: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='$')}={quote(v, safe='')}" for k, v in params)


# --------------------------------------------------------------------------------------------
# The fakes


class FakeServices:
    """Fake Microsoft Entra ID, Key Vault and Customer Insights - Data on 127.0.0.1.

    ``start()`` makes (or reuses) the certificates in ``state_dir`` and starts the three HTTPS
    servers in daemon threads; ``stop()`` shuts them down. Everything else configures what they
    serve; it may be called before or after ``start()`` and from any thread.
    """

    TENANT_ID = "7c2f4b1e-9a3d-4e8f-b6c5-0d1e2f3a4b5c"

    def __init__(self, state_dir: Path | str, *, ports: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.state_dir = Path(state_dir)
        self.ports = tuple(ports)
        if len(self.ports) != 3:
            raise ValueError("ports: three numbers (Entra ID, Key Vault, Customer Insights)")
        self._lock = threading.Lock()
        self._clients: dict[str, str] = {}
        self._tokens: dict[str, _Token] = {}
        self._secrets: dict[str, list[_SecretVersion]] = {}
        self._environments: dict[str, _Environment] = {}
        self._mode = _Mode()
        self._measure_requests = 0
        self._token_requests = 0
        self._errors: list[str] = []
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._urls: tuple[str, str, str] | None = None
        self._ca_file: Path | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeServices:
        if self._servers:
            raise RuntimeError("The fake services are already running.")
        ca_file, cert_file, key_file = ensure_certificates(self.state_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_file, key_file)
        self._stopping.clear()
        routes: tuple[Callable[[_Request], _Reply], ...] = (
            self._entra,
            self._vault,
            self._insights,
        )
        try:
            for port, route in zip(self.ports, routes, strict=True):
                self._servers.append(_Server(port, context, self, route))
        except OSError:
            for server in self._servers:
                server.server_close()
            self._servers = []
            raise
        host_ports = [server.server_address[1] for server in self._servers]
        self._urls = (
            f"https://127.0.0.1:{host_ports[0]}",
            f"https://127.0.0.1:{host_ports[1]}",
            f"https://127.0.0.1:{host_ports[2]}",
        )
        self._ca_file = ca_file
        for server, name in zip(self._servers, ("entra", "vault", "insights"), strict=True):
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"fake-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes the slow mode's sleepers
        stoppers = [threading.Thread(target=server.shutdown) for server in self._servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for server in self._servers:
            server.server_close()
            server.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers = []
        self._threads = []

    def __enter__(self) -> FakeServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return bool(self._servers)

    def _url(self, index: int) -> str:
        if self._urls is None:
            raise RuntimeError("The fake services have not been started.")
        return self._urls[index]

    @property
    def entra_url(self) -> str:
        return self._url(0)

    @property
    def vault_url(self) -> str:
        return self._url(1)

    @property
    def insights_url(self) -> str:
        return self._url(2)

    @property
    def ca_file(self) -> str:
        if self._ca_file is None:
            raise RuntimeError("The fake services have not been started.")
        return str(self._ca_file)

    @property
    def authority(self) -> str:
        """The tenant's authority URL, as in a Key Vault challenge."""
        return f"{self.entra_url}/{self.TENANT_ID}"

    @property
    def vault_resource(self) -> str:
        """The resource Key Vault's challenge names: the 'parent domain' of the vault's host."""
        parts = urlsplit(self.vault_url)
        host = parts.hostname or "127.0.0.1"
        parent = host.split(".", 1)[1] if "." in host else host
        return f"https://{parent}:{parts.port}"

    def org_url(self, environment_id: str) -> str:
        """The Dataverse organisation URL of an environment (``https://contoso.crm.dynamics.com``
        in the real world)."""
        return f"{self.insights_url}/org/{environment_id}"

    # ---- configuration -----------------------------------------------------------------------

    def register_client(self, client_id: str, secret: str) -> None:
        with self._lock:
            self._clients[client_id] = secret

    def vault_secret_set(
        self, name: str, value: str, *, expires_on: dt.datetime | None = None
    ) -> str:
        """Add a new version of a secret (it becomes the current one); returns its version."""
        if not SECRET_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid Key Vault secret name")
        if expires_on is not None and expires_on.tzinfo is None:
            raise ValueError("expires_on must be timezone-aware")
        version = uuid.uuid4().hex
        entry = _SecretVersion(
            version=version,
            value=value,
            created=int(time.time()),
            expires_on=int(expires_on.timestamp()) if expires_on is not None else None,
        )
        with self._lock:
            self._secrets.setdefault(name, []).append(entry)
        return version

    def environment_add(
        self,
        environment_id: str,
        *,
        alternate_key: str = "msdynci_alternatekey",
        accounts: Iterable[str] | None = None,
        measures: Sequence[str] = DEFAULT_MEASURES,
    ) -> None:
        known = None if accounts is None else {a.casefold(): a for a in accounts}
        with self._lock:
            self._environments[environment_id] = _Environment(
                environment_id, alternate_key, known, tuple(measures)
            )

    def set_mode(
        self, mode: str, *, delay: float = 5.0, retry_after: int = 1, times: int | None = None
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode: one of {', '.join(MODES)}")
        if times is not None and times < 0:
            raise ValueError("times: a count, or None for until changed")
        if times == 0:
            mode = "normal"
        with self._lock:
            self._mode = _Mode(
                mode=mode,
                delay=float(delay),
                retry_after=int(retry_after),
                remaining=None if mode == "normal" else times,
            )

    @property
    def mode(self) -> dict[str, Any]:
        with self._lock:
            return self._mode.as_dict()

    @property
    def measure_requests(self) -> int:
        with self._lock:
            return self._measure_requests

    @property
    def token_requests(self) -> int:
        with self._lock:
            return self._token_requests

    def reset_counts(self) -> None:
        with self._lock:
            self._measure_requests = 0
            self._token_requests = 0

    def reset(self) -> None:
        """Counts to zero and mode back to normal (what ``POST /_fake/reset`` does)."""
        with self._lock:
            self._measure_requests = 0
            self._token_requests = 0
            self._mode = _Mode()

    @property
    def errors(self) -> list[str]:
        """Exceptions raised inside the fake while answering (answered with a 500)."""
        with self._lock:
            return list(self._errors)

    def _record_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)

    def issue_token(self, client_id: str, scope: str, *, expires_in: int = TOKEN_LIFETIME) -> str:
        """A token as if the token endpoint had issued it (a negative ``expires_in`` gives an
        expired one). Not counted in ``token_requests``."""
        return self._issue(client_id, self.TENANT_ID, scope, expires_in)

    def _issue(self, client_id: str, tenant: str, scope: str, expires_in: int) -> str:
        audience = scope
        for part in scope.split():
            if part.endswith("/.default"):
                audience = part
                break
        audience = audience.removesuffix("/.default").rstrip("/")
        access_token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[access_token] = _Token(
                client_id, tenant, scope, audience, time.time() + expires_in
            )
        return access_token

    def token_info(self, access_token: str) -> dict[str, Any] | None:
        """What the fake remembers of a token: client id, tenant, scope, audience, expiry."""
        with self._lock:
            held = self._tokens.get(access_token)
        if held is None:
            return None
        return {
            "client_id": held.client_id,
            "tenant": held.tenant,
            "scope": held.scope,
            "audience": held.audience,
            "expires_at": held.expires_at,
        }

    @staticmethod
    def measures_for(account: str, measures: Iterable[str] = DEFAULT_MEASURES) -> dict[str, Any]:
        """The values served for an account, derived from a hash of it."""
        return {measure: measure_value(account, measure) for measure in measures}

    @staticmethod
    def customer_id_for(account: str) -> str:
        return customer_id_for(account)

    def _check_token(self, request: _Request, audiences: Iterable[str]) -> str | None:
        """None when the request bears a live token for one of the audiences; otherwise why
        not (the reason a 401 gives)."""
        access_token = request.bearer()
        if access_token is None:
            return "missing"
        with self._lock:
            held = self._tokens.get(access_token)
        if held is None or held.tenant != self.TENANT_ID:
            return "invalid"
        if held.expires_at <= time.time():
            return "expired"
        wanted = {a.rstrip("/").lower() for a in audiences}
        if held.audience.lower() not in wanted:
            return f"audience:{held.audience}"
        return None

    # ---- Microsoft Entra ID ------------------------------------------------------------------

    def _entra_error(
        self, status: int, error: str, code: int, description: str, **headers: str
    ) -> _Reply:
        trace, correlation = uuid.uuid4(), uuid.uuid4()
        timestamp = _now_iso()
        body = {
            "error": error,
            "error_description": (
                f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
                f"Timestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": str(trace),
            "correlation_id": str(correlation),
            "error_uri": f"{self.entra_url}/error?code={code}",
        }
        return _json_reply(status, body, **headers)

    def _tenant_not_found(self, tenant: str, error: str) -> _Reply:
        return self._entra_error(
            400,
            error,
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
            "are signing into the correct cloud. Check with your subscription administrator, "
            "this may happen if there are no active subscriptions for the tenant.",
        )

    def _entra(self, request: _Request) -> _Reply:
        parts = [unquote(p) for p in request.path.strip("/").split("/")]
        headers = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            tenant = parts[0]
            if request.method != "GET":
                return _json_reply(405, {"error": "method_not_allowed"})
            if tenant != self.TENANT_ID:
                return self._tenant_not_found(tenant, "invalid_tenant")
            return _json_reply(200, self._openid_configuration(), **headers)
        if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            if request.method != "POST":
                return self._entra_error(
                    405,
                    "invalid_request",
                    900561,
                    "The endpoint only accepts POST requests. Received a "
                    f"{request.method} request.",
                )
            return self._token(parts[0], request, headers)
        return _json_reply(404, {"error": "not_found", "error_description": "No such endpoint."})

    def _openid_configuration(self) -> dict[str, Any]:
        base = self.authority
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{self.entra_url}/{self.TENANT_ID}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.entra_url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "nonce",
                "tid",
                "ver",
            ],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    def _token(self, tenant: str, request: _Request, headers: dict[str, str]) -> _Reply:
        form = request.form()
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret")
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("basic "):  # client_secret_basic
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode()
                basic_id, _, basic_secret = decoded.partition(":")
                client_id = unquote(basic_id)
                client_secret = unquote(basic_secret)
            except (ValueError, binascii.Error):
                pass
        if tenant != self.TENANT_ID:
            return self._tenant_not_found(tenant, "invalid_request")
        grant_type = form.get("grant_type", "")
        if not grant_type:
            return self._entra_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            )
        if grant_type != "client_credentials":
            return self._entra_error(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant_type}'.",
            )
        if not client_id:
            return self._entra_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            )
        scope = form.get("scope", "")
        if not scope:
            return self._entra_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            )
        with self._lock:
            expected = self._clients.get(client_id)
        if expected is None:
            return self._entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{self.TENANT_ID}'. This can happen if the application has not been installed "
                "by the administrator of the tenant or consented to by any user in the tenant. "
                "You may have sent your authentication request to the wrong tenant.",
            )
        if client_secret is None and form.get("client_assertion") is None:
            return self._entra_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )
        if client_secret is None or not secrets.compare_digest(
            client_secret.encode(), expected.encode()
        ):
            return self._entra_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        resources = [s for s in scope.split() if s not in ("openid", "profile", "offline_access")]
        if len(resources) != 1 or not resources[0].endswith("/.default"):
            return self._entra_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI).",
            )
        access_token = self._issue(client_id, tenant, resources[0], TOKEN_LIFETIME)
        with self._lock:
            self._token_requests += 1
        body = {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": access_token,
        }
        return _json_reply(200, body, **headers)

    # ---- Key Vault ---------------------------------------------------------------------------

    def _vault_challenge(self, code: str, message: str) -> _Reply:
        challenge = f'Bearer authorization="{self.authority}", resource="{self.vault_resource}"'
        return _odata_error(401, code, message, **{"WWW-Authenticate": challenge})

    def _vault(self, request: _Request) -> _Reply:
        headers = {"x-ms-keyvault-service-version": "1.9.2718.1", "Cache-Control": "no-cache"}
        problem = self._check_token(request, (self.vault_resource, self.vault_url))
        if problem == "missing":
            return self._vault_challenge(
                "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."
            )
        if problem == "expired":
            return self._vault_challenge("Unauthorized", "AKV10032: Token has expired.")
        if problem is not None and problem.startswith("audience:"):
            return self._vault_challenge(
                "Unauthorized",
                f"AKV10022: Invalid audience. Expected {self.vault_resource}, found: "
                f"{problem.removeprefix('audience:')}.",
            )
        if problem is not None:
            return self._vault_challenge(
                "Unauthorized", "AKV10021: Invalid token: the token is not recognised."
            )
        api_version = request.query.get("api-version")
        if not api_version:
            return _odata_error(
                400, "BadParameter", "The request URI must contain an api-version parameter."
            )
        if api_version not in KEYVAULT_API_VERSIONS:
            return _odata_error(
                400,
                "BadParameter",
                f"The specified version ({api_version}) is not recognized. Consider using the "
                "latest supported version (2026-04-01).",
            )
        parts = [unquote(p) for p in request.path.split("/")[1:]]
        if parts and parts[-1] == "":
            parts = parts[:-1]
        if not parts or parts[0] != "secrets" or not 2 <= len(parts) <= 3:
            return _odata_error(404, "NotFound", "The requested resource was not found.")
        if request.method != "GET":
            return _odata_error(
                405, "MethodNotAllowed", f"The method {request.method} is not allowed here."
            )
        name = parts[1]
        version = parts[2] if len(parts) == 3 else ""
        if not SECRET_NAME.match(name):
            return _odata_error(
                400,
                "BadParameter",
                "The request URI contains an invalid name: " + name,
            )
        with self._lock:
            versions = list(self._secrets.get(name, ()))
        if version:
            chosen = next((v for v in versions if v.version == version), None)
        else:
            chosen = versions[-1] if versions else None
        if chosen is None:
            shown = f"{name}/{version}" if version else name
            return _odata_error(
                404,
                "SecretNotFound",
                f"A secret with (name/id) {shown} was not found in this key vault. If you "
                "recently deleted this secret you may be able to recover it using the correct "
                "recovery command. For help resolving this issue, please see "
                "https://go.microsoft.com/fwlink/?linkid=2125182",
                **headers,
            )
        attributes: dict[str, Any] = {
            "enabled": True,
            "created": chosen.created,
            "updated": chosen.created,
            "recoverableDays": 90,
            "recoveryLevel": "Recoverable+Purgeable",
        }
        if chosen.expires_on is not None:
            attributes["exp"] = chosen.expires_on
        body = {
            "value": chosen.value,
            "id": f"{self.vault_url}/secrets/{name}/{chosen.version}",
            "attributes": attributes,
            "tags": {},
        }
        return _json_reply(200, body, **headers)

    # ---- Customer Insights - Data ------------------------------------------------------------

    def _insights(self, request: _Request) -> _Reply:
        path = request.path
        if path.startswith("/_fake/"):
            return self._control(request, path.removeprefix("/_fake/"))
        parts = [unquote(p) for p in path.strip("/").split("/")]
        # /org/{E}/api/data/v9.2/msdynci_customermeasures
        if len(parts) >= 5 and parts[0] == "org" and parts[2:4] == ["api", "data"]:
            return self._dataverse(request, parts)
        # /v1/instances/{E}/data/Customer_Measure
        if len(parts) >= 4 and parts[0] == "v1" and parts[1] == "instances" and parts[3] == "data":
            return self._legacy(request, parts)
        return _odata_error(404, "NotFound", f"No resource at {path}.")

    def _control(self, request: _Request, what: str) -> _Reply:
        if what == "stats" and request.method == "GET":
            with self._lock:
                body = {
                    "measure_requests": self._measure_requests,
                    "token_requests": self._token_requests,
                    **self._mode.as_dict(),
                }
            return _json_reply(200, body)
        if what == "reset" and request.method == "POST":
            self.reset()
            return _json_reply(200, {"reset": True})
        if what == "mode" and request.method == "POST":
            try:
                asked = request.json()
                if not isinstance(asked, dict):
                    raise ValueError("a JSON object")
                delay, retry_after, times = (
                    asked.get("delay"),
                    asked.get("retry_after"),
                    asked.get("times"),
                )
                self.set_mode(
                    str(asked.get("mode", "normal")),
                    delay=5.0 if delay is None else float(delay),
                    retry_after=1 if retry_after is None else int(retry_after),
                    times=None if times is None else int(times),
                )
            except (ValueError, TypeError) as error:
                return _json_reply(400, {"error": str(error)})
            return _json_reply(200, self.mode)
        return _json_reply(404, {"error": f"no control {request.method} /_fake/{what}"})

    def _measure_gate(self, kind: str) -> _Reply | None:
        """Apply the mode to an authorised measure request: None to answer normally."""
        with self._lock:
            mode = self._mode
            behaviour = mode.mode
            if behaviour != "normal" and mode.remaining is not None:
                mode.remaining -= 1
                if mode.remaining <= 0:
                    self._mode = _Mode()
            delay, retry_after = mode.delay, mode.retry_after
        if behaviour == "slow":
            self._stopping.wait(delay)
            return None
        if behaviour == "throttle":
            if kind == "dataverse":
                return _odata_error(
                    429,
                    "0x80072322",
                    "Number of requests exceeded the limit of 6000 over time window of 300 "
                    "seconds.",
                    **{"Retry-After": str(retry_after), "OData-Version": "4.0"},
                )
            return _odata_error(
                429,
                "TooManyRequests",
                "Rate limit is exceeded. Try again later.",
                **{"Retry-After": str(retry_after)},
            )
        if behaviour == "fail":
            return _odata_error(
                503,
                "ServiceUnavailable",
                "The service is temporarily unavailable. Please try again later.",
            )
        return None

    def _count_measure_request(self) -> None:
        with self._lock:
            self._measure_requests += 1

    def _unauthorized(self, problem: str, resource: str, **headers: str) -> _Reply:
        messages = {
            "missing": "The request is missing a bearer token.",
            "invalid": "The bearer token is not valid.",
            "expired": "The bearer token has expired.",
        }
        message = messages.get(problem) or (
            f"The bearer token's audience {problem.removeprefix('audience:')} is not {resource}."
        )
        challenge = (
            f"Bearer authorization_uri={self.authority}/oauth2/authorize, resource_id={resource}/"
        )
        return _odata_error(
            401, "Unauthorized", message, **{"WWW-Authenticate": challenge}, **headers
        )

    def _matching_accounts(
        self, environment: _Environment, filter_text: str | None, properties: Mapping[str, str]
    ) -> list[str] | _Reply | tuple[str, str]:
        """The accounts a $filter selects: a list, or ("property", name) for an unknown
        property, or ("syntax", message), or a reply for what the fake cannot do."""
        if not filter_text:
            if environment.accounts is None:
                return _odata_error(
                    400,
                    "FakeUnsupported",
                    "The fake serves every account of this environment, so it needs a $filter "
                    f"on {environment.alternate_key}.",
                )
            return sorted(environment.accounts.values())
        try:
            terms = parse_filter(filter_text)
        except ODataSyntaxError as error:
            return ("syntax", str(error))
        asked: list[str] = []
        for prop, values in terms:
            if prop not in properties:
                return ("property", prop)
            if prop != environment.alternate_key:
                return _odata_error(
                    400,
                    "FakeUnsupported",
                    f"The fake filters on {environment.alternate_key} only, not on {prop}.",
                )
            asked.extend(values)
        seen: dict[str, str] = {}
        for value in asked:
            key = value.casefold()
            if key in seen:
                continue
            if environment.accounts is None:
                seen[key] = value
            elif key in environment.accounts:
                seen[key] = environment.accounts[key]
        return list(seen.values())

    def _dataverse(self, request: _Request, parts: list[str]) -> _Reply:
        environment_id = parts[1]
        odata = {"OData-Version": "4.0"}
        with self._lock:
            environment = self._environments.get(environment_id)
        if environment is None:
            return _odata_error(
                404,
                "0x80072560",
                f"The organization {environment_id} does not exist or is not available.",
                **odata,
            )
        org = self.org_url(environment_id)
        version = parts[4]
        entity_set = parts[5] if len(parts) > 5 else ""
        if (
            version not in DATAVERSE_VERSIONS
            or len(parts) != 6
            or entity_set != DATAVERSE_ENTITY_SET
        ):
            segment = entity_set or version
            return _odata_error(
                404, "0x8006088a", f"Resource not found for the segment '{segment}'.", **odata
            )
        self._count_measure_request()
        problem = self._check_token(request, (org,))
        if problem is not None:
            return self._unauthorized(problem, org, **odata)
        if request.method != "GET":
            return _odata_error(
                405, "0x80060888", f"The method {request.method} is not allowed here.", **odata
            )
        gated = self._measure_gate("dataverse")
        if gated is not None:
            return gated

        alternate = environment.alternate_key
        columns = {
            "msdynci_customermeasureid": "",
            "msdynci_customerid": "",
            alternate: "",
            "msdynci_measures": "",
            "createdon": "",
            "modifiedon": "",
            "statecode": "",
            "statuscode": "",
        }
        query = request.query
        select_text = query.get("$select", "")
        selected = [c.strip() for c in select_text.split(",") if c.strip()] or list(columns)
        for column in selected:
            if column not in columns:
                return self._no_property(column, **odata)
        found = self._matching_accounts(environment, query.get("$filter"), columns)
        if isinstance(found, _Reply):
            found.headers.update(odata)
            return found
        if isinstance(found, tuple):
            if found[0] == "property":
                return self._no_property(found[1], **odata)
            return _odata_error(400, "0x80060888", found[1], **odata)

        rows = []
        for account in found:
            row_id = str(uuid.uuid5(ROW_NAMESPACE, f"{environment_id}\x00{account}"))
            values = self.measures_for(account, environment.measures)
            full = {
                "msdynci_customermeasureid": row_id,
                "msdynci_customerid": customer_id_for(account),
                alternate: account,
                "msdynci_measures": json.dumps(values),
                "createdon": ROWS_CREATED,
                "modifiedon": ROWS_CREATED,
                "statecode": 0,
                "statuscode": 1,
            }
            etag = int(hashlib.sha256(row_id.encode()).hexdigest()[:7], 16)
            row: dict[str, Any] = {"@odata.etag": f'W/"{etag}"'}
            row.update({c: full[c] for c in selected})
            row["msdynci_customermeasureid"] = row_id  # the key is always there
            rows.append(row)
        # Without $orderby, Dataverse pages in primary-key order.
        rows.sort(key=lambda r: str(r["msdynci_customermeasureid"]))
        top = query.get("$top")
        if top is not None:
            try:
                rows = rows[: max(0, int(top))]
            except ValueError:
                return _odata_error(400, "0x80060888", f"Invalid value '{top}' for $top.", **odata)

        skiptoken = query.get("$skiptoken")
        page_number = 1
        if skiptoken:
            after = _paging_cookie_last(skiptoken)
            if after is None:
                return _odata_error(400, "0x80060888", "The $skiptoken is not valid.", **odata)
            page_number, last_id = after
            rows = [r for r in rows if str(r["msdynci_customermeasureid"]) > last_id]

        page_size = DATAVERSE_PAGE_SIZE
        response_headers = dict(odata)
        preference = re.search(
            r"odata\.maxpagesize\s*=\s*(\d+)", request.headers.get("prefer", ""), re.IGNORECASE
        )
        if preference and int(preference.group(1)) > 0:
            page_size = min(int(preference.group(1)), DATAVERSE_PAGE_SIZE)
            response_headers["Preference-Applied"] = f"odata.maxpagesize={preference.group(1)}"
        page_rows, rest = rows[:page_size], rows[page_size:]
        listed = ",".join(selected)
        body: dict[str, Any] = {
            "@odata.context": f"{org}/api/data/{version}/$metadata#{DATAVERSE_ENTITY_SET}({listed})",
            "value": page_rows,
        }
        if rest:
            first = str(page_rows[0]["msdynci_customermeasureid"]).upper()
            last_id = str(page_rows[-1]["msdynci_customermeasureid"]).upper()
            paging_cookie = quote(
                f'<cookie page="{page_number}"><msdynci_customermeasureid '
                f'last="{{{last_id}}}" first="{{{first}}}" /></cookie>',
                safe="",
            ).lower()
            token = (
                f'<cookie pagenumber="{page_number + 1}" pagingcookie="{paging_cookie}" '
                'istracking="False" />'
            )
            params = [(k, v) for k, v in query.items() if k != "$skiptoken"]
            params.append(("$skiptoken", token))
            body["@odata.nextLink"] = (
                f"{org}/api/data/{version}/{DATAVERSE_ENTITY_SET}?{_query_string(params)}"
            )
        response_headers["Content-Type"] = "application/json; odata.metadata=minimal"
        return _json_reply(200, body, **response_headers)

    def _no_property(self, name: str, **headers: str) -> _Reply:
        return _odata_error(
            400,
            "0x80060888",
            f"Could not find a property named '{name}' on type '{DATAVERSE_TYPE}'.",
            **headers,
        )

    def _legacy(self, request: _Request, parts: list[str]) -> _Reply:
        environment_id = parts[2]
        with self._lock:
            environment = self._environments.get(environment_id)
        if environment is None:
            return _odata_error(
                404, "InstanceNotFound", f"Instance {environment_id} was not found."
            )
        entity = parts[4] if len(parts) == 5 else "/".join(parts[4:])
        if entity != LEGACY_ENTITY:
            return _odata_error(
                404,
                "EntityNotFound",
                f"Entity {entity} was not found in instance {environment_id}.",
            )
        self._count_measure_request()
        problem = self._check_token(request, (self.insights_url,))
        if problem is not None:
            return self._unauthorized(problem, self.insights_url)
        if request.method != "GET":
            return _odata_error(
                405, "MethodNotAllowed", f"The method {request.method} is not allowed."
            )
        gated = self._measure_gate("legacy")
        if gated is not None:
            return gated

        alternate = environment.alternate_key
        columns = {"CustomerId": "", alternate: "", **{m: "" for m in environment.measures}}
        query = request.query
        selected = [c.strip() for c in query.get("$select", "").split(",") if c.strip()]
        selected = selected or list(columns)
        for column in selected:
            if column not in columns:
                return self._legacy_no_property(column)
        found = self._matching_accounts(environment, query.get("$filter"), columns)
        if isinstance(found, _Reply):
            return found
        if isinstance(found, tuple):
            if found[0] == "property":
                return self._legacy_no_property(found[1])
            return _odata_error(400, "BadRequest", found[1])

        keyed = []
        for account in found:
            full: dict[str, Any] = {
                "CustomerId": customer_id_for(account),
                alternate: account,
                **self.measures_for(account, environment.measures),
            }
            keyed.append((full["CustomerId"], {c: full[c] for c in selected}))
        keyed.sort(key=lambda pair: pair[0])
        rows = [row for _key, row in keyed]
        page_size = LEGACY_PAGE_SIZE
        top = query.get("$top")
        if top is not None:
            try:
                page_size = max(1, min(int(top), LEGACY_PAGE_SIZE))
            except ValueError:
                return _odata_error(400, "BadRequest", f"Invalid value '{top}' for $top.")
        offset = 0
        skiptoken = query.get("$skiptoken")
        if skiptoken:
            try:
                offset = int(base64.urlsafe_b64decode(skiptoken.encode()).decode())
            except (ValueError, binascii.Error):
                return _odata_error(400, "BadRequest", "The $skiptoken is not valid.")
        page_rows = rows[offset : offset + page_size]
        body: dict[str, Any] = {"value": page_rows}
        if offset + page_size < len(rows):
            token = base64.urlsafe_b64encode(str(offset + page_size).encode()).decode()
            params = [(k, v) for k, v in query.items() if k != "$skiptoken"]
            params.append(("$skiptoken", token))
            body["@odata.nextLink"] = (
                f"{self.insights_url}/v1/instances/{quote(environment_id, safe='')}/data/"
                f"{LEGACY_ENTITY}?{_query_string(params)}"
            )
        return _json_reply(200, body)

    def _legacy_no_property(self, name: str) -> _Reply:
        return _odata_error(
            400,
            "BadRequest",
            f"Could not find a property named '{name}' on type '{LEGACY_ENTITY}'.",
        )
