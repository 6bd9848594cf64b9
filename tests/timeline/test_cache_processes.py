"""R-ACT-4, R-DIST-1, R-SCALE-2 across processes: two stateless servers, one database, one
Redis. A type changed through one is what the other shows at its very next request, with no
job to distribute it and no restart."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_up() -> bool:
    parsed = urlparse(REDIS_URL)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _redis_up(), reason=f"needs Redis at {REDIS_URL} (CI has one; set TEST_REDIS_URL)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(
        urlunparse(urlparse(url)._replace(path="/postgres")), autocommit=True
    ) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """Two runserver processes on one freshly seeded database and one Redis key space."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SETTINGS_MODULE"] = "clienteling.config.settings"
    env["REDIS_URL"] = REDIS_URL
    env["CACHE_KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:8]}"
    base_url = os.environ.get("DATABASE_URL", "")
    dropped = None
    if base_url.startswith(("postgres://", "postgresql://")):
        dropped = f"cache_{uuid.uuid4().hex[:10]}"
        _postgres_admin(base_url, f'CREATE DATABASE "{dropped}"')
        env["DATABASE_URL"] = urlunparse(urlparse(base_url)._replace(path=f"/{dropped}"))
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('cache')}/db.sqlite3"
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0", "--no-input"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "seed_demo", "--customers", "60"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    phone_id = (
        subprocess.run(
            [
                *manage,
                "shell",
                "-c",
                "from clienteling.timeline.models import ActivityType as T; "
                "print(T.objects.get(legal_entity__code='ITJW', code='PHONE').pk)",
            ],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    servers, urls = [], []
    for _ in range(2):
        port = _free_port()
        servers.append(
            subprocess.Popen(
                [*manage, "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not start")
                time.sleep(0.2)
        yield urls[0], urls[1], phone_id
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        if dropped:
            _postgres_admin(base_url, f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _logged_in(base: str, path: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10, follow_redirects=True)
    page = client.get(path)
    response = client.post(
        path,
        data={"csrfmiddlewaretoken": _csrf(page.text), "username": username, "password": "demo"},
        headers={"Referer": f"{base}{path}"},
    )
    assert response.status_code == 200
    return client


def _offered_types(client: httpx.Client) -> list[str]:
    page = client.get("/customers/IT000001/").text
    select = page.split('id="act-type"', 1)[1].split("</select>", 1)[0]
    return re.findall(r">([^<]+)</option>", select)


def test_a_type_renamed_through_one_process_is_offered_by_the_other_at_once(two_servers):
    """R-ACT-4, R-DIST-1: no restart, no waiting: the shared cache entry is dropped on commit."""
    admin_url, store_url, phone_id = two_servers
    associate = _logged_in(store_url, "/login/", "giulia")
    assert "Phone call" in _offered_types(associate)  # now cached in the second process

    admin = _logged_in(admin_url, "/admin/login/?next=/admin/", "admin")
    change = f"/admin/timeline/activitytype/{phone_id}/change/"
    form = admin.get(change)
    assert form.status_code == 200
    saved = admin.post(
        change,
        data={
            "csrfmiddlewaretoken": _csrf(form.text),
            "name": "Telephone",
            "name_it": "Telefono",
            "name_lt": "Telefonas",
            "display_order": "3",
            "active": "on",
        },
        headers={"Referer": f"{admin_url}{change}"},
    )
    assert saved.status_code == 200 and "errornote" not in saved.text

    offered = _offered_types(associate)
    assert "Telephone" in offered and "Phone call" not in offered


def test_a_type_retired_through_one_process_is_no_longer_offered_by_the_other(two_servers):
    """R-ACT-4, R-ACT-1: retiring is a change like any other."""
    admin_url, store_url, _phone_id = two_servers
    associate = _logged_in(store_url, "/login/", "giulia")
    assert "E-mail" in _offered_types(associate)
    admin = _logged_in(admin_url, "/admin/login/?next=/admin/", "admin")
    listing = admin.get("/admin/timeline/activitytype/?q=EMAIL")
    ids = re.findall(r'name="_selected_action" value="(\d+)"', listing.text)
    assert ids
    done = admin.post(
        "/admin/timeline/activitytype/",
        data={
            "csrfmiddlewaretoken": _csrf(listing.text),
            "action": "retire",
            "_selected_action": ids,
        },
        headers={"Referer": f"{admin_url}/admin/timeline/activitytype/"},
    )
    assert done.status_code == 200
    assert "E-mail" not in _offered_types(associate)
