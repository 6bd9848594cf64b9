"""The curl examples of docs/api.md, run as written against a live server with the demo data.

Every command preceded by a ``# → NNN`` comment must answer that status with a JSON body."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "api.md"
EXPECT = re.compile(r"^# → (\d{3})$")
MARK = "@@status="


def script_and_expectations(text: str) -> tuple[str, list[int]]:
    """All ```sh blocks as one script; each expected command gets its status printed."""
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    lines: list[str] = []
    expected: list[int] = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        pending: int | None = None
        for line in joined.splitlines():
            match = EXPECT.match(line.strip())
            if match:
                pending = int(match.group(1))
                continue
            if pending is not None and line.strip().startswith("curl "):
                line = f"{line} -w '\\n{MARK}%{{http_code}}\\n'"
                expected.append(pending)
                pending = None
            lines.append(line)
    return "\n".join(lines) + "\n", expected


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_examples_of_the_api_docs_work(live_api, tmp_path):
    script, expected = script_and_expectations(DOCS.read_text())
    assert len(expected) >= 15
    script = script.replace("http://127.0.0.1:8000", live_api.url)
    script = script.replace("cookies.txt", str(tmp_path / "cookies.txt"))
    env = {**live_api.env, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    parts = result.stdout.split(MARK)
    statuses = [int(part[:3]) for part in parts[1:]]
    assert statuses == expected, result.stdout
    bodies = [parts[0]] + [part[4:] for part in parts[1:-1]]
    for body in bodies:
        json.loads(body)  # every answer, success or error, is JSON
