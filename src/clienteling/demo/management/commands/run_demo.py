"""``manage.py run_demo``: what ``make run`` serves after seeding. The fake Microsoft services
on ``FAKES_PORT_BASE`` (customer analytics on for ITJW), a background-job worker, and the
development server in the foreground; the helpers stop with the server.

A port of the fakes in use, or fakes that do not come up within a few seconds, never holds
the server back: it starts at once, analytics stays off, and the message says why and what
to set.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from clienteling.demo.management.commands.fake_services import (
    PORT_BASE_VARIABLE,
    VAULT_DEFAULT_SECRET,
    VAULT_SECRET_VARIABLE,
    port_base,
    ports_from,
    ports_in_use,
)
from clienteling.demo.management.commands.insights_demo import Command as InsightsDemo
from clienteling.demo.production import refuse_production

# How long the fakes may take to answer once started (they answer in about a second).
FAKES_READY_SECONDS = 10.0


class Command(BaseCommand):
    help = (
        "Serve the demo: the fake Microsoft services (ports from FAKES_PORT_BASE), a job "
        "worker and the development server; a busy port never delays the start."
    )
    requires_system_checks: list[str] = []  # runserver runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="the server's port")
        parser.add_argument(
            "--fakes-port-base",
            type=int,
            default=None,
            help=f"the fakes' first port (default ${PORT_BASE_VARIABLE}, else 8441)",
        )
        parser.add_argument(
            "--fakes-timeout",
            type=float,
            default=FAKES_READY_SECONDS,
            help="seconds the fakes may take to come up (default %(default)s)",
        )
        parser.add_argument(
            "--noreload", action="store_true", help="run the server without the autoreloader"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_production("run_demo")
        base = options["fakes_port_base"] or port_base()
        env = dict(os.environ)
        env.setdefault(VAULT_SECRET_VARIABLE, VAULT_DEFAULT_SECRET)
        env[PORT_BASE_VARIABLE] = str(base)
        children: list[subprocess.Popen[bytes]] = []
        # A supervisor (or `kill`) ends the demo with SIGTERM: stop the helpers then too, as
        # Ctrl-C does, rather than leave the fakes and the worker running on their own.
        signal.signal(signal.SIGTERM, _interrupted)
        try:
            fakes = self.start_fakes(base, env, options["fakes_timeout"])
            if fakes is not None:
                children.append(fakes)
            children.append(subprocess.Popen(self.manage("jobs_worker"), env=env))
            server = self.manage("runserver", f"127.0.0.1:{options['port']}")
            if options["noreload"]:
                server.append("--noreload")
            subprocess.call(server, env=env)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                stop(child)

    def start_fakes(
        self, base: int, env: dict[str, str], timeout: float
    ) -> subprocess.Popen[bytes] | None:
        """The fakes, running and answering, with analytics turned on; None when they cannot
        be (then the demo goes on without analytics)."""
        ports = ports_from(base)
        busy = ports_in_use(ports)
        if busy:
            self.analytics_off(
                f"port {', '.join(map(str, busy))} is in use (another instance's fake "
                f"services?). Set {PORT_BASE_VARIABLE} to the first of three free ports, e.g. "
                f"{PORT_BASE_VARIABLE}={base + 10} make run."
            )
            return None
        state_dir = Path(settings.BASE_DIR) / "var" / "fake-services" / str(base)
        state_file = state_dir / "fake-services.json"
        state_file.unlink(missing_ok=True)
        ports_text = ",".join(map(str, ports))
        fakes = subprocess.Popen(
            self.manage("fake_services", "--state-dir", str(state_dir), "--ports", ports_text),
            env=env,
        )
        state = wait_for_fakes(fakes, state_file, timeout)
        if state is None:
            stop(fakes)
            self.analytics_off(
                f"the fake services did not come up on ports {base}-{base + 2} within "
                f"{timeout:g} s (see above)."
            )
            return None
        env["AZURE_CA_BUNDLE"] = state["ca_file"]
        env.setdefault("CLIENTELING_ALLOWED_HOSTS_EXTRA", "127.0.0.1")
        turned_on = subprocess.call(
            self.manage("insights_demo", "--state", str(state_file)), env=env
        )
        if turned_on != 0:
            self.analytics_off("the demo's ITJW could not be pointed at the fakes (see above).")
        return fakes

    def analytics_off(self, reason: str) -> None:
        self.stdout.write(self.style.WARNING(f"Customer analytics stays off: {reason}"))
        self.stdout.flush()

    @staticmethod
    def manage(*arguments: str) -> list[str]:
        return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *arguments]


def wait_for_fakes(
    fakes: subprocess.Popen[bytes], state_file: Path, timeout: float
) -> dict[str, Any] | None:
    """The fakes' description once all three answer; None as soon as they stopped, or when
    ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fakes.poll() is not None:
            return None
        if state_file.exists():
            state: dict[str, Any] = json.loads(state_file.read_text(encoding="utf-8"))
            urls = (state["entra_url"], state["vault_url"], state["insights_url"])
            if all(InsightsDemo.listening(url) for url in urls):
                return state
        time.sleep(0.1)
    return None


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop(child: subprocess.Popen[bytes]) -> None:
    """Ends a helper this command started, waiting a little for it to tidy up."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
