"""``make run``'s fake services take their ports from FAKES_PORT_BASE, and a port in use never
holds the server back (``manage.py run_demo``): it refuses at once, says which port and what
to set, and the server starts."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
# Well under the 30 s the old start waited for fakes that could not come up.
PROMPT_START = 15.0


def free_port_base() -> int:
    """A port whose two successors are free too."""
    for _attempt in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base > 65000:
            continue
        try:
            with socket.socket() as one, socket.socket() as two:
                one.bind(("127.0.0.1", base + 1))
                two.bind(("127.0.0.1", base + 2))
        except OSError:
            continue
        return base
    raise AssertionError("no three free ports in a row")


@contextmanager
def listening_on(port: int) -> Iterator[socket.socket]:
    """Another program's server on ``port``."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        yield other


@contextmanager
def started(arguments: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A manage.py command in its own process group, ended (with its children) afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, MANAGE, *arguments],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def environment(tmp_path: Path, base: int) -> dict[str, str]:
    return {
        **os.environ,
        "FAKES_PORT_BASE": str(base),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }


def test_the_fakes_take_their_ports_from_fakes_port_base(tmp_path):
    """A second instance runs its fakes beside the first: FAKES_PORT_BASE=N serves Entra ID,
    Key Vault and Customer Insights on N, N+1 and N+2."""
    base = free_port_base()
    state = tmp_path / "fakes" / "fake-services.json"
    arguments = ["fake_services", "--state-dir", str(state.parent)]

    with started(arguments, environment(tmp_path, base), tmp_path / "fakes.log") as fakes:
        deadline = time.monotonic() + 60
        while not state.exists() and fakes.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert state.exists(), (tmp_path / "fakes.log").read_text()
        described = json.loads(state.read_text())
        up = [answers(base + n) for n in range(3)]

    ports = [
        int(described[k].rsplit(":", 1)[1]) for k in ("entra_url", "vault_url", "insights_url")
    ]
    assert ports == [base, base + 1, base + 2]
    assert up == [True, True, True]


def test_a_busy_port_is_refused_at_once_naming_it(tmp_path):
    """The fakes stop at once with the port in use and what to set, having made nothing."""
    base = free_port_base()
    state_dir = tmp_path / "fakes"
    arguments = ["fake_services", "--state-dir", str(state_dir)]
    log = tmp_path / "fakes.log"

    with listening_on(base + 1), started(arguments, environment(tmp_path, base), log) as fakes:
        code = fakes.wait(timeout=PROMPT_START)
    output = log.read_text()

    assert code != 0
    assert f"port {base + 1} on 127.0.0.1 is in use" in output
    assert "FAKES_PORT_BASE" in output
    assert not state_dir.exists() or not any(state_dir.iterdir())


def test_a_busy_fakes_port_does_not_delay_the_server(tmp_path):
    """``make run`` with another program on a fakes port: the server answers within seconds,
    and the output says analytics stays off, which port, and what to set."""
    base = free_port_base()
    server_port = free_port_base()
    arguments = ["run_demo", "--port", str(server_port), "--noreload"]
    log = tmp_path / "run.log"

    with listening_on(base + 2), started(arguments, environment(tmp_path, base), log) as run:
        began = time.monotonic()
        while not answers(server_port) and run.poll() is None:
            assert time.monotonic() - began < PROMPT_START, log.read_text()
            time.sleep(0.1)
        waited = time.monotonic() - began
        assert run.poll() is None, log.read_text()
    output = log.read_text()

    assert waited < PROMPT_START
    assert "Customer analytics stays off" in output
    assert f"port {base + 2} is in use" in output
    assert f"FAKES_PORT_BASE={base + 10}" in output


def children_of(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux: /proc/N/stat's fourth field)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_stops_the_demo_with_its_fakes_and_worker(tmp_path):
    """``make run`` ended by a supervisor (SIGTERM to the command alone, not its group) stops
    the fake services, the job worker and the server with it."""
    base = free_port_base()
    server_port = free_port_base()
    arguments = ["run_demo", "--port", str(server_port), "--noreload"]
    log = tmp_path / "run.log"

    with started(arguments, environment(tmp_path, base), log) as run:
        began = time.monotonic()
        while not answers(server_port) and run.poll() is None:
            assert time.monotonic() - began < 60, log.read_text()
            time.sleep(0.1)
        helpers = children_of(run.pid)
        assert len(helpers) >= 2, log.read_text()  # the worker and the server at least
        os.kill(run.pid, signal.SIGTERM)
        run.wait(timeout=15)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)

    assert [pid for pid in helpers if alive(pid)] == [], log.read_text()
