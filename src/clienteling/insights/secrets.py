"""The secret store (R-SEC-1): a reference names where a secret lives, and only this module
turns it into the value, in memory, when it is needed.

- ``vault://<vault-name>/<secret-name>``: Azure Key Vault, opened with the connection HQ set
  up under that name (``KeyVault``) and a client secret from the environment;
- ``env://CLIENTELING_SECRET_NAME``: an environment variable of the web processes, only
  one named ``CLIENTELING_SECRET_…`` (never DATABASE_URL or SECRET_KEY);
- ``file:///absolute/path``: a file inside ``CLIENTELING_SECRETS_DIR`` (e.g. a mounted
  secret), never outside it, not through ``..`` nor a link.

Errors say what went wrong with the reference, never the value, never whether a file
outside the secrets directory exists, and never the words of a remote answer (R-SEC-1).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from clienteling.insights.endpoints import endpoint_problem
from clienteling.insights.models import KeyVault, SecretStatus

REFERENCE = re.compile(
    r"^(?:vault://(?P<vault>[a-z0-9-]+)/(?P<secret>[A-Za-z0-9-]{1,127})"
    r"|env://(?P<variable>[A-Za-z_][A-Za-z0-9_]*)"
    r"|file://(?P<path>/.+))$"
)
ENV_PREFIX = "CLIENTELING_SECRET_"
# A resolved secret is kept in this process's memory only, for this long.
MEMORY_SECONDS = 300
WARN_DAYS = 30
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"


class SecretError(Exception):
    """The reference could not be resolved; the message says why, without the value."""


@dataclass(frozen=True)
class Secret:
    value: str
    expires_on: dt.datetime | None

    def __repr__(self) -> str:  # never print the value by accident
        return f"Secret(expires_on={self.expires_on!r})"


def reference_check(reference: str) -> re.Match[str]:
    match = REFERENCE.match(reference.strip())
    if match is None:
        raise SecretError(
            _(
                "%(reference)s is not a secret reference: use vault://<vault-name>/<secret-name>, "
                "env://CLIENTELING_SECRET_NAME or file:///path."
            )
            % {"reference": reference}
        )
    if match["variable"] and not match["variable"].startswith(ENV_PREFIX):
        raise SecretError(
            _("env:// references may only name variables that begin with %(prefix)s.")
            % {"prefix": ENV_PREFIX}
        )
    return match


def azure_transport_options() -> dict[str, Any]:
    """Trust the extra certificate authorities of AZURE_CA_BUNDLE (the loopback fakes)."""
    bundle = settings.AZURE_CA_BUNDLE
    return {"connection_verify": bundle} if bundle else {}


_memory: dict[str, tuple[float, Secret]] = {}
_lock = threading.Lock()


def secret_resolve(reference: str, *, fresh: bool = False, vault: KeyVault | None = None) -> Secret:
    """The secret a reference names. Kept in process memory for a few minutes so that pages
    do not read the vault on every request; ``fresh`` reads it again (Validate). ``vault``,
    when given, is the reference's vault connection already read from the database."""
    now = time.monotonic()
    with _lock:
        held = _memory.get(reference)
    if held is not None and not fresh and now - held[0] < MEMORY_SECONDS:
        return held[1]
    match = reference_check(reference)
    if match["vault"]:
        secret = _from_vault(match["vault"], match["secret"], vault)
    elif match["variable"]:
        value = os.environ.get(match["variable"])
        if not value:
            raise SecretError(
                _("The environment variable %(name)s is not set.") % {"name": match["variable"]}
            )
        secret = Secret(value, None)
    else:
        secret = Secret(_from_file(match["path"]), None)
    with _lock:
        _memory[reference] = (now, secret)
    return secret


def _from_file(raw_path: str) -> str:
    """A file's text, only inside the secrets directory; the same answer for a file that
    does not exist and one that may not be read, so the reference tells nothing else."""
    directory = settings.CLIENTELING_SECRETS_DIR
    if not directory:
        raise SecretError(
            _("file:// references are off: the operator has not set CLIENTELING_SECRETS_DIR.")
        )
    root = os.path.realpath(directory)
    path = os.path.realpath(raw_path)  # follows links and "..", so neither leads out
    unreadable = SecretError(
        _("The file %(path)s cannot be read as a secret: it must be a non-empty file in %(dir)s.")
        % {"path": raw_path, "dir": directory}
    )
    if os.path.commonpath([root, path]) != root or path == root:
        raise unreadable
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise unreadable from None
    if not value:
        raise unreadable
    return value


def forget_secrets() -> None:
    with _lock:
        _memory.clear()


def _from_vault(vault_name: str, secret_name: str, vault: KeyVault | None) -> Secret:
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
    )
    from azure.identity import ClientSecretCredential
    from azure.keyvault.secrets import SecretClient

    if vault is None or vault.name != vault_name:
        vault = KeyVault.objects.filter(name=vault_name).first()
    if vault is None:
        raise SecretError(
            _("No key vault named %(name)s is set up in the back office.") % {"name": vault_name}
        )
    for url in (vault.vault_url, vault.authority_host or DEFAULT_AUTHORITY):
        problem = endpoint_problem(url)
        if problem is not None:
            raise SecretError(
                _("Key vault %(vault)s: %(problem)s") % {"vault": vault_name, "problem": problem}
            )
    variable = settings.KEYVAULT_CLIENT_SECRET_VARIABLE
    client_secret = os.environ.get(variable)
    if not client_secret:
        raise SecretError(
            _("The environment variable %(name)s, which opens the key vault, is not set.")
            % {"name": variable}
        )
    options = azure_transport_options()
    credential = ClientSecretCredential(
        vault.tenant_id,
        vault.client_id,
        client_secret,
        authority=vault.authority_host or DEFAULT_AUTHORITY,
        # Instance discovery asks login.microsoftonline.com about the authority: only
        # meaningful for Microsoft's own hosts (a sovereign cloud, a test authority is not).
        disable_instance_discovery=bool(vault.authority_host),
        **options,
    )
    client = SecretClient(vault_url=vault.vault_url, credential=credential, **options)
    try:
        found = client.get_secret(secret_name)
    except ResourceNotFoundError:
        raise SecretError(
            _("Key vault %(vault)s has no secret named %(secret)s.")
            % {"vault": vault_name, "secret": secret_name}
        ) from None
    except ClientAuthenticationError as error:
        raise SecretError(
            _("Key vault %(vault)s refused the connection's credentials (%(status)s).")
            % {"vault": vault_name, "status": _status(error)}
        ) from None
    except (ServiceRequestError, HttpResponseError) as error:
        raise SecretError(
            _("Key vault %(vault)s cannot be reached (%(status)s).")
            % {"vault": vault_name, "status": _status(error)}
        ) from None
    finally:
        client.close()
        credential.close()
    if found.value is None:
        raise SecretError(
            _("Secret %(secret)s in key vault %(vault)s has no value.")
            % {"vault": vault_name, "secret": secret_name}
        )
    return Secret(found.value, found.properties.expires_on)


def _status(error: BaseException) -> str:
    """What may be said of a failed call: its HTTP status or the kind of failure, never
    the text the other side sent."""
    status = getattr(error, "status_code", None)
    return f"HTTP {status}" if isinstance(status, int) else type(error).__name__


def secret_reference_validate(reference: str) -> SecretStatus:
    """Resolve a reference now and record what was found: its expiry, or the problem, while
    an unreadable secret keeps the expiry last seen (R-SEC-2). Something that is not a
    reference (a key pasted by mistake) raises SecretError and is never recorded."""
    reference_check(reference)
    status, _created = SecretStatus.objects.get_or_create(reference=reference.strip())
    status.checked_at = timezone.now()
    try:
        secret = secret_resolve(status.reference, fresh=True)
    except SecretError as error:
        status.problem = str(error)
    else:
        status.problem = ""
        status.expires_on = secret.expires_on
    status.save()
    return status


def secrets_expiring(within_days: int = WARN_DAYS) -> list[SecretStatus]:
    """References whose secret expires within the warning window, or already has."""
    limit = timezone.now() + dt.timedelta(days=within_days)
    return list(SecretStatus.objects.filter(expires_on__lte=limit).order_by("expires_on"))
