"""API test helpers: a JSON client authenticated with a bearer token of a worker, and a live
server with the demo data for the curl examples and schemathesis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse, urlunparse
from urllib.request import urlopen

import pytest
from django.test import Client

from clienteling.api.services import api_token_create
from clienteling.organization.models import Worker
from tests.browser.conftest import _free_port, _postgres_admin

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"


class ApiClient:
    """Calls the API as one worker, with ``Authorization: Bearer``."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: Any = None, **headers: str) -> Any:
        return self.client.get(API + path, params or {}, headers={**self.headers, **headers})

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(
            API + path,
            json.dumps(body),
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def patch(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.patch(
            API + path,
            json.dumps(body),
            content_type="application/json",
            headers={**self.headers, **headers},
        )


def token_for(worker: Worker, **kwargs: Any) -> str:
    return api_token_create(owner=worker, **kwargs).token


@pytest.fixture
def as_worker(db):
    """``as_worker(worker)`` → an ApiClient with a fresh token of that worker."""
    return lambda worker: ApiClient(token_for(worker))


@pytest.fixture
def anonymous(db) -> ApiClient:
    return ApiClient(None)


def assert_error(response: Any, status: int, code: str, field: str | None = "any") -> dict:
    """The response is the API's error shape with this status and code (and field)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    if field != "any":
        assert body["error"]["field"] == field, body
    return body["error"]


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def token(self, username: str) -> str:
        return self.manage("create_api_token", username, "--name", "tests").strip().splitlines()[-1]


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server process on a free loopback port with freshly migrated and seeded demo data
    (SQLite file, or a fresh PostgreSQL database when DATABASE_URL points at PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SETTINGS_MODULE"] = "clienteling.config.settings"
    env.pop("REDIS_URL", None)
    base_url = os.environ.get("DATABASE_URL", "")
    dropped: str | None = None
    if base_url.startswith(("postgres://", "postgresql://")):
        name = f"api_{uuid.uuid4().hex[:10]}"
        _postgres_admin(base_url, f'CREATE DATABASE "{name}"')
        dropped = name
        env["DATABASE_URL"] = urlunparse(urlparse(base_url)._replace(path=f"/{name}"))
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('api')}/demo.sqlite3"
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0", "--no-input"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    port = _free_port()
    log = open(tmp_path_factory.mktemp("api-server") / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except (URLError, ConnectionError, OSError):
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the API server did not start; see {log.name}")
        time.sleep(0.2)
    try:
        yield LiveServer(url, env)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        if dropped:
            _postgres_admin(base_url, f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')
