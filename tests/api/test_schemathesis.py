"""Schemathesis against the live server's OpenAPI document, with every check: every
operation as an associate (giulia), and as a store manager (sara) the operations whose
answer depends on managing a store (the store view, reassigning, a store's follow-ups,
appointments and outreach to a store's selection): no server errors, no answer that breaks
the schema, no undocumented status code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = "15"
# What a manager does beyond an associate; the rest answers sara as it answers giulia.
RUNS = {
    "giulia": [],
    "sara": [
        "--include-path-regex",
        r"/(stores|client-books|follow-ups|appointments|outreach)(/|$)",
    ],
}


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed")
def test_schemathesis_finds_no_failures(live_api, capsys):
    runs = {}
    for username, only in RUNS.items():
        token = live_api.token(username)
        runs[username] = subprocess.Popen(
            [
                str(SCHEMATHESIS),
                "--no-color",
                "--config-file",
                str(HERE / "schemathesis.toml"),
                "run",
                f"{live_api.url}/api/v1/openapi.json",
                # Every check runs: the config enables all of them and switches off, per
                # operation and with its reason, only what cannot apply there.
                "--header",
                f"Authorization: Bearer {token}",
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                "20261124",
                # One worker: CPython 3.11's compile() is not thread-safe under load
                # ("AST constructor recursion depth mismatch").
                "--workers",
                "1",
                *only,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    total = 0
    counts = []
    for username, run in runs.items():
        output, _ = run.communicate(timeout=300)
        cases = re.search(r"(\d+) generated", output)
        assert cases, output
        total += int(cases.group(1))
        counts.append(f"{cases.group(1)} as {username}")
        assert run.returncode == 0, output
    with capsys.disabled():  # shown even under -q
        print(f"\nschemathesis ran {total} cases ({', '.join(counts)})")  # noqa: T201
