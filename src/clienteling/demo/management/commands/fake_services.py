"""``manage.py fake_services``: the loopback fakes of Microsoft Entra ID, Key Vault and
Customer Insights - Data for the demo, until interrupted: on three ports from
``FAKES_PORT_BASE`` (default 8441, so 8441-8443) unless ``--ports`` names them. A port in
use is refused at once, naming it, before anything is made."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clienteling.demo.fakes import FakeServices
from clienteling.demo.production import refuse_production

DEFAULT_PORT_BASE = 8441
PORT_BASE_VARIABLE = "FAKES_PORT_BASE"
VAULT_CLIENT_ID = "clienteling-vault-reader"
VAULT_SECRET_VARIABLE = "CLIENTELING_KEYVAULT_CLIENT_SECRET"
VAULT_DEFAULT_SECRET = "demo-vault-reader-secret"
INSIGHTS_CLIENT_ID = "clienteling-insights"
INSIGHTS_SECRET = "demo-insights-secret"
SECRET_NAME = "ci-client-secret"
SECRET_DAYS = 20
ENVIRONMENT_ID = "3f2c0c1e-5b7a-4c1d-9a57-1c0de0c1e000"
ALTERNATE_KEY = "msdynci_alternatekey"


def port_base() -> int:
    """The first of the fakes' three ports: ``FAKES_PORT_BASE``, or 8441."""
    text = os.environ.get(PORT_BASE_VARIABLE, "").strip()
    if not text:
        return DEFAULT_PORT_BASE
    try:
        base = int(text)
    except ValueError:
        raise CommandError(f"{PORT_BASE_VARIABLE}: a port number, not {text!r}") from None
    if not 1 <= base <= 65533:
        raise CommandError(f"{PORT_BASE_VARIABLE}: a port from 1 to 65533, not {base}")
    return base


def ports_from(base: int) -> tuple[int, int, int]:
    """Entra ID, Key Vault and Customer Insights on ``base`` and the two ports after it."""
    return base, base + 1, base + 2


def ports_in_use(ports: tuple[int, ...], host: str = "127.0.0.1") -> list[int]:
    """The ports something already listens on (or that cannot be bound); 0 is any free port."""
    busy = []
    for port in ports:
        if port == 0:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As the fakes bind: a port left in TIME_WAIT is free, one with a listener is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                busy.append(port)
    return busy


def _ports(text: str) -> tuple[int, int, int]:
    try:
        ports = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise CommandError(
            f"--ports: three port numbers separated by commas, not {text!r}"
        ) from None
    if len(ports) != 3 or not all(0 <= p <= 65535 for p in ports):
        raise CommandError(f"--ports: three port numbers separated by commas, not {text!r}")
    return ports[0], ports[1], ports[2]


class Command(BaseCommand):
    help = (
        "Serve fakes of Microsoft Entra ID, Azure Key Vault and Customer Insights - Data on "
        "127.0.0.1 (HTTPS, own certificate authority) for the demo, until interrupted."
    )
    requires_system_checks: list[str] = []  # needs neither the database nor the other apps

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--state-dir",
            default=str(Path(settings.BASE_DIR) / "var" / "fake-services"),
            help="where the certificates and fake-services.json go (default var/fake-services)",
        )
        parser.add_argument(
            "--ports",
            default="",
            help=f"Entra ID, Key Vault, Customer Insights ports, separated by commas (default "
            f"${PORT_BASE_VARIABLE} and the two after it; {DEFAULT_PORT_BASE}-"
            f"{DEFAULT_PORT_BASE + 2} when unset)",
        )
        parser.add_argument(
            "--vault-client-id",
            default=VAULT_CLIENT_ID,
            help=f"the Key Vault reader app registration (default {VAULT_CLIENT_ID}); its "
            f"secret comes from ${VAULT_SECRET_VARIABLE} (default {VAULT_DEFAULT_SECRET})",
        )
        parser.add_argument(
            "--insights-client-id",
            default=INSIGHTS_CLIENT_ID,
            help=f"the Customer Insights app registration (default {INSIGHTS_CLIENT_ID})",
        )
        parser.add_argument(
            "--insights-client-secret",
            default=INSIGHTS_SECRET,
            help="its secret, stored in the vault (default demo-insights-secret)",
        )
        parser.add_argument(
            "--secret-name",
            default=SECRET_NAME,
            help=f"the vault secret holding it (default {SECRET_NAME})",
        )
        parser.add_argument(
            "--environment-id",
            default=ENVIRONMENT_ID,
            help=f"the Customer Insights environment (default {ENVIRONMENT_ID})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_production("fake_services")
        state_dir = Path(options["state_dir"])
        ports = _ports(options["ports"]) if options["ports"] else ports_from(port_base())
        busy = ports_in_use(ports)
        if busy:
            raise CommandError(
                f"Cannot start the fake services: port {', '.join(map(str, busy))} on 127.0.0.1 "
                f"is in use. Choose three free ports with {PORT_BASE_VARIABLE}=… or --ports."
            )
        fakes = FakeServices(state_dir, ports=ports)
        vault_secret = os.environ.get(VAULT_SECRET_VARIABLE) or VAULT_DEFAULT_SECRET
        fakes.register_client(options["vault_client_id"], vault_secret)
        fakes.register_client(options["insights_client_id"], options["insights_client_secret"])
        expires_on = (dt.datetime.now(dt.UTC) + dt.timedelta(days=SECRET_DAYS)).replace(
            microsecond=0
        )
        fakes.vault_secret_set(
            options["secret_name"], options["insights_client_secret"], expires_on=expires_on
        )
        environment_id = options["environment_id"]
        fakes.environment_add(environment_id, alternate_key=ALTERNATE_KEY)
        try:
            fakes.start()
        except OSError as error:
            raise CommandError(f"Cannot start the fake services: {error}") from None

        description = {
            "tenant_id": FakeServices.TENANT_ID,
            "entra_url": fakes.entra_url,
            "authority": fakes.authority,
            "token_url": f"{fakes.authority}/oauth2/v2.0/token",
            "vault_url": fakes.vault_url,
            "vault_client_id": options["vault_client_id"],
            "vault_client_secret_variable": VAULT_SECRET_VARIABLE,
            "secret_name": options["secret_name"],
            "secret_expires_on": expires_on.isoformat(),
            "insights_url": fakes.insights_url,
            "insights_client_id": options["insights_client_id"],
            "environment_id": environment_id,
            "alternate_key": ALTERNATE_KEY,
            "dataverse_url": fakes.org_url(environment_id),
            "legacy_api_url": fakes.insights_url,
            "control_url": f"{fakes.insights_url}/_fake",
            "ca_file": str(Path(fakes.ca_file).resolve()),
        }
        state_file = state_dir / "fake-services.json"
        temporary = state_file.with_name(state_file.name + ".tmp")
        temporary.write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
        temporary.replace(state_file)

        out = self.stdout.write
        out(self.style.SUCCESS("Fake Microsoft services on 127.0.0.1 (Ctrl-C to stop)"))
        out(
            f"  Entra ID           {fakes.entra_url}  tenant {FakeServices.TENANT_ID}; "
            f"apps {options['vault_client_id']} (secret ${VAULT_SECRET_VARIABLE}), "
            f"{options['insights_client_id']}"
        )
        out(
            f"  Key Vault          {fakes.vault_url}  secret {options['secret_name']} "
            f"expires {expires_on:%Y-%m-%d}"
        )
        out(
            f"  Dataverse          {fakes.org_url(environment_id)}  "
            f"(msdynci_customermeasures, key {ALTERNATE_KEY})"
        )
        out(f"  Customer Insights  {fakes.insights_url}/v1/instances/{environment_id}")
        out(f"  Controls           {fakes.insights_url}/_fake/mode | stats | reset")
        out(f"  CA certificate     {description['ca_file']}")
        out(f"  Description        {state_file}")

        stop = threading.Event()

        def interrupted(signum: int, frame: object) -> None:
            stop.set()

        previous = {
            signum: signal.signal(signum, interrupted) for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            while not stop.wait(1):
                pass
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            fakes.stop()
            out("Fake Microsoft services stopped.")
