"""Real server processes for tests: a freshly migrated and seeded database of their own (a
SQLite file, or a new PostgreSQL database when DATABASE_URL points at PostgreSQL), and a
server on a free loopback port that is up once ``/healthz`` answers."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlparse, urlunparse
from urllib.request import urlopen

import httpx

ROOT = Path(__file__).resolve().parents[1]
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_admin(url: str, sql: str) -> None:
    import psycopg

    parsed = urlparse(url)
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


# Per seed (command and arguments), a database migrated and seeded once per test process:
# each server's own database is a copy of it, which takes a second, not a minute.
_TEMPLATES: dict[tuple[str, ...], str] = {}


def _template(base_url: str, seed: tuple[str, ...], env: dict[str, str]) -> str:
    """The database URL of the template for ``seed`` (made on first use)."""
    found = _TEMPLATES.get(seed)
    if found is not None:
        return found
    name = f"template_{uuid.uuid4().hex[:10]}"
    if is_postgres(base_url):
        postgres_admin(base_url, f'CREATE DATABASE "{name}"')
        url = urlunparse(urlparse(base_url)._replace(path=f"/{name}"))
        atexit.register(postgres_admin, base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        templates = Path(tempfile.mkdtemp(prefix="seeded-"))
        atexit.register(shutil.rmtree, templates, ignore_errors=True)
        url = f"sqlite:///{templates}/{name}.sqlite3"
    made = {**env, "DATABASE_URL": url}
    subprocess.run([*MANAGE, "migrate", "-v0", "--no-input"], env=made, check=True, cwd=ROOT)
    if seed:
        subprocess.run([*MANAGE, *seed], env=made, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    _TEMPLATES[seed] = url
    return url


@contextmanager
def seeded_environment(
    folder: Path, prefix: str, seed: Sequence[str] = ("seed_demo",)
) -> Iterator[dict[str, str]]:
    """The environment of a process using a new database, migrated and seeded with ``seed``
    (a management command and its arguments; empty for none); the database is dropped after."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SETTINGS_MODULE"] = "clienteling.config.settings"
    env.pop("REDIS_URL", None)
    base_url = os.environ.get("DATABASE_URL", "")
    template = _template(base_url, tuple(seed), env)
    dropped = None
    if is_postgres(base_url):
        dropped = f"{prefix}_{uuid.uuid4().hex[:10]}"
        source = urlparse(template).path.lstrip("/")
        postgres_admin(base_url, f'CREATE DATABASE "{dropped}" TEMPLATE "{source}"')
        env["DATABASE_URL"] = urlunparse(urlparse(base_url)._replace(path=f"/{dropped}"))
    else:
        target = folder / f"{prefix}.sqlite3"
        with (
            closing(sqlite3.connect(urlparse(template).path)) as source_db,
            closing(sqlite3.connect(target)) as target_db,
        ):
            source_db.backup(target_db)
        env["DATABASE_URL"] = f"sqlite:///{target}"
    try:
        yield env
    finally:
        if dropped:
            postgres_admin(base_url, f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


@contextmanager
def serving(command: Sequence[str], env: dict[str, str], log: Path, port: int) -> Iterator[str]:
    """Run a server command listening on ``port``; yields its URL once it is healthy."""
    with log.open("wb") as output:
        server = subprocess.Popen(
            list(command), env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, server, log)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=15)


def wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            with urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, ConnectionError, OSError):
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not start; see {log}")
        time.sleep(0.2)


def runserver(port: int) -> list[str]:
    return [*MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"]


def gunicorn(port: int, workers: int = 2) -> list[str]:
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "clienteling.config.wsgi",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        str(ROOT / "src"),
    ]


def csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def logged_in(base: str, path: str, username: str, password: str = "demo") -> httpx.Client:
    """A client logged in through the login form at ``path`` (the store app's or the admin's)."""
    client = httpx.Client(base_url=base, timeout=10, follow_redirects=True)
    page = client.get(path)
    response = client.post(
        path,
        data={"csrfmiddlewaretoken": csrf(page.text), "username": username, "password": password},
        headers={"Referer": f"{base}{path}"},
    )
    assert response.status_code == 200, response.status_code
    return client
