"""Outages under load (docs/operations.md, "Reliability, as tested"): gunicorn serving the
demo while associates browse, with Redis and then PostgreSQL going away behind a relay and
coming back. Pages go on (Redis) or say "back in a moment" with 503 (PostgreSQL), nothing
answers 500, nothing serves stale data, and the same processes recover with no restart."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlparse, urlunparse

import httpx
import pytest

from clienteling.api.services import TOKEN_PREFIX
from tests.faults.gate import Gate
from tests.faults.test_kill_mid_write import shell
from tests.servers import (
    csrf,
    free_port,
    gunicorn,
    is_postgres,
    logged_in,
    seeded_environment,
    serving,
)
from tests.timeline.test_cache_processes import offered_types

REDIS = ("127.0.0.1", 6379)
ON_POSTGRES = is_postgres(os.environ.get("DATABASE_URL", ""))
PAGES = ("/book/", "/customers/IT000001/", "/store-books/")


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _redis_up(), reason=f"needs Redis at {REDIS[0]}:{REDIS[1]} (CI has one)"
)


@dataclass
class Site:
    url: str
    env: dict[str, str]
    redis: Gate
    database: Gate | None
    phone_id: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("outages")
    with seeded_environment(folder, "outages", ("seed_demo", "--customers", "60")) as env:
        redis = Gate(*REDIS)
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/0"
        env["CACHE_KEY_PREFIX"] = f"outages-{uuid.uuid4().hex[:8]}"
        # Kept connections, as production keeps them: they must survive the database's going.
        env["DB_CONN_MAX_AGE"] = "60"
        env["DEBUG"] = "0"  # as in production: no tracebacks in answers
        database = None
        if ON_POSTGRES:
            parsed = urlparse(env["DATABASE_URL"])
            database = Gate(parsed.hostname or "127.0.0.1", parsed.port or 5432)
            env["DATABASE_URL"] = urlunparse(
                parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{database.port}")
            )
        phone_id = shell(
            env,
            "from clienteling.timeline.models import ActivityType as T; "
            "print(T.objects.get(legal_entity__code='ITJW', code='PHONE').pk)",
        ).split()[-1]
        port = free_port()
        try:
            with serving(gunicorn(port), env, folder / "gunicorn.log", port) as url:
                yield Site(url, env, redis, database, phone_id)
        finally:
            redis.close()
            if database:
                database.close()


@dataclass
class Load:
    """Associates browsing from several threads; every answer is kept with its phase."""

    url: str
    phase: str = "before"
    answers: list[tuple[str, str, int, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, associates: int = 4) -> Load:
        clients = [logged_in(self.url, "/login/", "giulia") for _ in range(associates)]
        for client in clients:
            thread = threading.Thread(target=self._browse, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _browse(self, client: httpx.Client) -> None:
        n = 0
        while not self._stop.is_set():
            path = PAGES[n % len(PAGES)]
            n += 1
            phase, started = self.phase, time.monotonic()
            try:
                status = client.get(path, timeout=15).status_code
            except httpx.HTTPError:
                status = 0  # no answer at all
            self.answers.append((phase, path, status, time.monotonic() - started))

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=20)

    def statuses(self, phase: str) -> dict[int, int]:
        counts: dict[int, int] = {}
        for answer_phase, _path, status, _took in self.answers:
            if answer_phase == phase:
                counts[status] = counts.get(status, 0) + 1
        return counts

    def slowest(self, phase: str) -> float:
        return max(took for answer_phase, _p, _s, took in self.answers if answer_phase == phase)


def _rename_phone(site: Site, admin: httpx.Client, name: str) -> httpx.Response:
    change = f"/admin/timeline/activitytype/{site.phone_id}/change/"
    form = admin.get(change)
    assert form.status_code == 200
    return admin.post(
        change,
        data={
            "csrfmiddlewaretoken": csrf(form.text),
            "name": name,
            "name_it": name,
            "name_lt": name,
            "display_order": "3",
            "active": "on",
        },
        headers={"Referer": f"{site.url}{change}"},
    )


def _flush_prefix(prefix: str) -> None:
    """What a restart of a Redis that keeps nothing on disk leaves: none of our keys."""
    import redis

    server = redis.Redis(*REDIS)
    keys = list(server.scan_iter(f"{prefix}:*"))
    if keys:
        server.delete(*keys)


def test_pages_go_on_while_redis_is_down_and_changes_wait_for_it(site: Site):
    associate = logged_in(site.url, "/login/", "giulia")
    admin = logged_in(site.url, "/admin/login/?next=/admin/", "admin")
    assert "Phone call" in offered_types(associate)  # cached in Redis now
    load = Load(site.url).start()
    try:
        time.sleep(2)
        load.phase = "down"
        site.redis.shut()
        time.sleep(3)
        # A change while Redis is away is refused: other processes could not learn of it.
        refused = _rename_phone(site, admin, "Telephone")
        assert refused.status_code == 503
        assert "shared cache cannot be reached" in refused.text
        assert "Phone call" in offered_types(associate)
        time.sleep(1)
        load.phase = "restarted"
        _flush_prefix(site.env["CACHE_KEY_PREFIX"])
        site.redis.open()
        time.sleep(6)  # past the pause a process takes after seeing Redis fail
        saved = _rename_phone(site, admin, "Telephone")
        assert saved.status_code == 200 and "errornote" not in saved.text
        time.sleep(1)
    finally:
        load.stop()

    for phase in ("before", "down", "restarted"):
        assert set(load.statuses(phase)) == {200}, (phase, load.statuses(phase))
        assert sum(load.statuses(phase).values()) >= 10, (phase, load.statuses(phase))
    # Down, a page waits for Redis at most once per process, not once per request.
    assert load.slowest("down") < 3, load.slowest("down")
    # Every process sees the change at its next request (two workers: ask several times).
    for _ in range(6):
        offered = offered_types(logged_in(site.url, "/login/", "giulia"))
        assert "Telephone" in offered and "Phone call" not in offered


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only: SQLite has no server to lose")
def test_postgresql_refusing_connections_answers_503_then_recovers_without_a_restart(site: Site):
    assert site.database is not None
    associate = logged_in(site.url, "/login/", "giulia")
    load = Load(site.url).start()
    try:
        time.sleep(2)
        load.phase = "down"
        site.database.shut()
        time.sleep(3)
        health = httpx.get(f"{site.url}/healthz", timeout=15)
        assert health.status_code == 503
        page = associate.get("/book/", timeout=15)
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert "Back in a moment" in page.text
        api = httpx.get(
            f"{site.url}/api/v1/me",
            headers={"Authorization": f"Bearer {TOKEN_PREFIX}{'x' * 40}"},
            timeout=15,
        )
        assert api.status_code == 503 and api.json()["error"]["code"] == "unavailable"
        load.phase = "back"
        site.database.open()
        time.sleep(4)
    finally:
        load.stop()

    down = load.statuses("down")
    assert set(down) <= {200, 503} and down.get(503, 0) > 0, down
    assert load.slowest("down") < 10, load.slowest("down")
    back = load.statuses("back")
    assert 500 not in back and 0 not in back, back
    # Recovered: the last answers of every associate are pages again, from the same server.
    assert all(status == 200 for _ph, _p, status, _t in load.answers[-8:]), load.answers[-8:]
    writer = logged_in(site.url, "/login/", "giulia")
    page = writer.get("/customers/IT000001/")
    noted = writer.post(
        "/customers/IT000001/",
        data={"csrfmiddlewaretoken": csrf(page.text), "action": "note", "text": "After the outage"},
        headers={"Referer": f"{site.url}/customers/IT000001/"},
    )
    assert noted.status_code == 200 and "After the outage" in noted.text
