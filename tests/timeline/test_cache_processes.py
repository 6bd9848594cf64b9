"""R-ACT-4, R-DIST-1, R-SCALE-2 across processes: two stateless servers, one database, one
Redis. A type changed through one is what the other shows at its very next request, with no
job to distribute it and no restart."""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlparse

import httpx
import pytest

from tests.faults.test_kill_mid_write import shell
from tests.servers import csrf, free_port, logged_in, runserver, seeded_environment, serving

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


@pytest.fixture(scope="module")
def two_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str, str, dict[str, str]]]:
    """Two runserver processes on one freshly seeded database and one Redis key space."""
    folder = tmp_path_factory.mktemp("cache")
    with ExitStack() as stack:
        env = stack.enter_context(
            seeded_environment(folder, "cache", ("seed_demo", "--customers", "60"))
        )
        env["REDIS_URL"] = REDIS_URL
        env["CACHE_KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:8]}"
        phone_id = shell(
            env,
            "from clienteling.timeline.models import ActivityType as T; "
            "print(T.objects.get(legal_entity__code='ITJW', code='PHONE').pk)",
        ).split()[-1]
        urls = []
        for n in range(2):
            port = free_port()
            command = [*runserver(port), "--nothreading"]
            urls.append(stack.enter_context(serving(command, env, folder / f"{n}.log", port)))
        yield urls[0], urls[1], phone_id, env


def offered_types(client: httpx.Client) -> list[str]:
    """The activity types the customer page offers."""
    page = client.get("/customers/IT000001/").text
    select = page.split('id="act-type"', 1)[1].split("</select>", 1)[0]
    return re.findall(r">([^<]+)</option>", select)


def test_a_type_renamed_through_one_process_is_offered_by_the_other_at_once(two_servers):
    """R-ACT-4, R-DIST-1: no restart, no waiting: the shared cache entry is dropped on commit."""
    admin_url, store_url, phone_id, _env = two_servers
    associate = logged_in(store_url, "/login/", "giulia")
    assert "Phone call" in offered_types(associate)  # now cached in the second process

    admin = logged_in(admin_url, "/admin/login/?next=/admin/", "admin")
    change = f"/admin/timeline/activitytype/{phone_id}/change/"
    form = admin.get(change)
    assert form.status_code == 200
    saved = admin.post(
        change,
        data={
            "csrfmiddlewaretoken": csrf(form.text),
            "name": "Telephone",
            "name_it": "Telefono",
            "name_lt": "Telefonas",
            "display_order": "3",
            "active": "on",
        },
        headers={"Referer": f"{admin_url}{change}"},
    )
    assert saved.status_code == 200 and "errornote" not in saved.text

    offered = offered_types(associate)
    assert "Telephone" in offered and "Phone call" not in offered


def test_a_type_retired_through_one_process_is_no_longer_offered_by_the_other(two_servers):
    """R-ACT-4, R-ACT-1: retiring is a change like any other."""
    admin_url, store_url, _phone_id, _env = two_servers
    associate = logged_in(store_url, "/login/", "giulia")
    assert "E-mail" in offered_types(associate)
    admin = logged_in(admin_url, "/admin/login/?next=/admin/", "admin")
    listing = admin.get("/admin/timeline/activitytype/?q=EMAIL")
    ids = re.findall(r'name="_selected_action" value="(\d+)"', listing.text)
    assert ids
    done = admin.post(
        "/admin/timeline/activitytype/",
        data={
            "csrfmiddlewaretoken": csrf(listing.text),
            "action": "retire",
            "_selected_action": ids,
        },
        headers={"Referer": f"{admin_url}/admin/timeline/activitytype/"},
    )
    assert done.status_code == 200
    assert "E-mail" not in offered_types(associate)


def test_a_role_taken_away_in_one_process_is_refused_by_the_other_at_once(two_servers):
    """R-PERM-2, R-DIST-1: grants are cached per worker in the shared cache; a role taken away
    elsewhere (here a shell, as HQ's admin would) holds at the next request."""
    _admin_url, store_url, _phone_id, environment = two_servers
    associate = logged_in(store_url, "/login/", "marco")
    assert associate.get("/book/").status_code == 200  # marco's access is now cached
    held = (
        shell(
            environment,
            "from django.contrib.auth.models import User; u = User.objects.get(username='marco'); "
            "print(([g.pk for g in u.groups.all()], [p.pk for p in u.user_permissions.all()])); "
            "u.groups.clear(); u.user_permissions.clear()",
        )
        .strip()
        .splitlines()[-1]
    )
    try:
        assert associate.get("/book/").status_code == 403
    finally:
        shell(
            environment,
            "from django.contrib.auth.models import User; "
            f"u = User.objects.get(username='marco'); groups, grants = {held}; "
            "u.groups.set(groups); u.user_permissions.set(grants)",
        )
    assert associate.get("/book/").status_code == 200


def test_clienteling_switched_off_in_one_process_is_off_in_the_other_at_once(two_servers):
    """R-FEAT-1, R-DIST-1: HQ's parameters are cached; the switch holds at the next request."""
    _admin_url, store_url, _phone_id, environment = two_servers
    associate = logged_in(store_url, "/login/", "giulia")
    me = associate.get("/api/v1/me").json()
    assert [le["clienteling_enabled"] for le in me["legal_entities"]] == [True]
    switch = (
        "from clienteling.clientbooks.services import clienteling_parameters_update as u; "
        "from clienteling.organization.models import LegalEntity as L; "
        "u(legal_entity=L.objects.get(code='ITJW'), enabled={})"
    )
    shell(environment, switch.format(False))
    try:
        me = associate.get("/api/v1/me").json()
        assert [le["clienteling_enabled"] for le in me["legal_entities"]] == [False]
        assert associate.get("/book/").status_code == 403
    finally:
        shell(environment, switch.format(True))
    assert associate.get("/book/").status_code == 200
