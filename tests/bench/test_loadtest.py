"""``manage.py loadtest`` end to end at a small size: the command starts gunicorn on a SQLite
database of its own holding a small scale data set, and three associates use every page for
a few seconds. The figures themselves come from ``make loadtest``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, str(ROOT / "manage.py")]
COUNT_NOTES = "from clienteling.timeline.models import Note; print(Note.objects.count())"


def test_every_page_is_loaded_without_errors_and_the_notes_are_written(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "clienteling.config.settings"
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/loadtest.sqlite3"

    def manage(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*MANAGE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )

    for setup in (("migrate", "-v0", "--no-input"), ("seed_scale", "--customers", "1000")):
        prepared = manage(*setup)
        assert prepared.returncode == 0, prepared.stderr
    done = manage(
        "loadtest", "--associates", "3", "--duration", "6", "--think", "0.05", "--workers", "2",
        "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    notes = manage("shell", "-c", COUNT_NOTES, timeout=60)
    assert notes.returncode == 0, notes.stderr

    output = done.stdout
    report = json.loads(output[output.index("\n{") :])
    # Each associate deals its actions from a deck holding every kind of page.
    assert set(report["pages"]) == {
        "book", "book_filter", "book_next", "search", "store_books", "store_filter",
        "customer", "note",
    }  # fmt: skip
    for kind, page in report["pages"].items():
        assert page["requests"] > 0, kind
        assert page["errors"] == 0, (kind, page["error_kinds"])
        assert page["p50_ms"] <= page["p95_ms"] <= page["p99_ms"], kind
    assert report["all"]["errors"] == 0
    assert report["all"]["requests"] == sum(p["requests"] for p in report["pages"].values())
    # Every note posted is a row in the database and shown on the page it redirects to.
    written = int(notes.stdout.strip().splitlines()[-1])
    assert written == report["notes_written"] == report["pages"]["note"]["requests"]
    assert report["notes_confirmed"] == written
    assert report["setup"]["accounts"] == ["bench", "scale00001", "scale00002"]
    assert "3 sessions over 3 associates of S0001" in output
    assert "| my client book | " in output
    assert "target (0 errors, p95 under 100 ms on every page)" in output
