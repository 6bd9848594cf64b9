"""Where credentials may go (R-SEC-1): HTTPS endpoints of Microsoft's clouds, and hosts the
operator adds with CLIENTELING_ALLOWED_HOSTS_EXTRA (the demo's loopback fakes). A token
request, a key vault or an analytics service anywhere else is refused before anything is
sent, so a back-office user cannot point the product's secrets at a server of their own."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Entra ID authorities, Key Vault and Dataverse / Customer Insights hosts of the public,
# US government and China clouds.
MICROSOFT_HOSTS = (
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.partner.microsoftonline.cn",
    "login.chinacloudapi.cn",
)
MICROSOFT_DOMAINS = (
    ".vault.azure.net",
    ".vault.usgovcloudapi.net",
    ".vault.azure.cn",
    ".dynamics.com",
    ".microsoftdynamics.us",
    ".appsplatform.us",
    ".dynamics.cn",
)


def endpoint_problem(url: str) -> str | None:
    """Why credentials may not go to ``url``, or None when they may."""
    try:
        parts = urlsplit(url.strip())
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return _("This is not a valid URL.")
    if parts.scheme != "https":
        return _("Only https:// endpoints receive credentials.")
    if host in MICROSOFT_HOSTS or host.endswith(MICROSOFT_DOMAINS):
        return None
    extra = {entry.strip().lower() for entry in settings.CLIENTELING_ALLOWED_HOSTS_EXTRA}
    if host in extra or (port is not None and f"{host}:{port}" in extra):
        return None
    return _(
        "%(host)s is not a Microsoft endpoint; the operator can allow it with "
        "CLIENTELING_ALLOWED_HOSTS_EXTRA."
    ) % {"host": host or url}


def validate_endpoint(value: str) -> None:
    """A model field validator: an endpoint that may receive credentials."""
    problem = endpoint_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="endpoint_not_allowed")
