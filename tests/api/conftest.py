"""API test helpers: a JSON client authenticated with a bearer token of a worker, and a live
server with the demo data for the curl examples and schemathesis."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from clienteling.api.services import api_token_create
from clienteling.organization.models import Worker
from tests.servers import MANAGE, free_port, seeded_environment, serving

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
    port = free_port()
    log = tmp_path_factory.mktemp("api-server") / "server.log"
    with (
        seeded_environment(tmp_path_factory.mktemp("api"), "api") as env,
        serving([*MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"], env, log, port) as url,
    ):
        yield LiveServer(url, env)
