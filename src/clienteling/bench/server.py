"""gunicorn on a free loopback port, for the measures taken over HTTP (``make loadtest``,
``make bench-http``): with the caller's environment and database, DEBUG off and kept
database connections unless the environment says otherwise."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import CommandError


@contextmanager
def gunicorn(
    url: str | None, workers: int, say: Callable[[str], None]
) -> Iterator[tuple[str, Path | None]]:
    """The given server if ``url`` (it must answer ``/healthz``), or gunicorn started here
    and stopped after. Yields the base URL and gunicorn's log, left for the caller to read
    and remove."""
    if url:
        url = url.rstrip("/")
        try:
            healthy = httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            healthy = False
        if not healthy:
            raise CommandError(f"{url}/healthz does not answer 200.")
        yield url, None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = dict(os.environ)
    env.setdefault("DB_CONN_MAX_AGE", "60")
    env.setdefault("DEBUG", "0")
    env.setdefault("DJANGO_SETTINGS_MODULE", "clienteling.config.settings")
    command = [
        sys.executable, "-m", "gunicorn", "clienteling.config.wsgi",
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--pythonpath", str(Path(settings.BASE_DIR) / "src"),
    ]  # fmt: skip
    handle, name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
    log = Path(name)
    url = f"http://127.0.0.1:{port}"
    with os.fdopen(handle, "wb") as output:
        process = subprocess.Popen(
            command, env=env, cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        _wait_healthy(url, process, log)
        say(
            f"gunicorn: {workers} workers on {url} (DEBUG={env['DEBUG']}, "
            f"DB_CONN_MAX_AGE={env['DB_CONN_MAX_AGE']}), log in {log}"
        )
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise CommandError(f"gunicorn did not start.{log_tail(log)}")
        time.sleep(0.2)


def log_tail(log: Path | None, lines: int = 30) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return f"\nLast lines of the gunicorn log ({log}):\n" + "\n".join(text) if text else ""
