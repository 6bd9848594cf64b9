"""Every requirement id cited in the repository is defined in docs/requirements.md.

Code comments, docstrings, tests and docs cite requirements by id. An id that is not
defined on the requirements page is a dangling reference: a typo, or a requirement that was
never written down. These tests need no database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "docs" / "requirements.md"
SCANNED = [ROOT / "src", ROOT / "tests", ROOT / "docs", ROOT / "README.md"]
SKIPPED_DIRS = {"__pycache__", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache"}

# An id (R-, area, dash, number) that is not the tail of a longer word or the head of a
# longer number.
ID = re.compile(r"(?<![A-Za-z0-9])R-[A-Z0-9]+-[0-9]+(?![0-9])")
# A definition: an entry whose bold lead is the id, or a heading that starts with it.
DEFINITION = re.compile(r"^(?:\s*[-*]\s+\*\*|#{1,6}\s+)(R-[A-Z0-9]+-[0-9]+)\b", re.MULTILINE)


def _definitions() -> list[str]:
    return DEFINITION.findall(REQUIREMENTS.read_text(encoding="utf-8"))


def _text_files():
    here = Path(__file__).resolve()
    for top in SCANNED:
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in paths:
            if not path.is_file() or SKIPPED_DIRS.intersection(path.parts):
                continue
            if path.resolve() in (here, REQUIREMENTS.resolve()):
                continue
            data = path.read_bytes()
            if b"\0" in data:  # images, compiled catalogues, bytecode
                continue
            yield path, data.decode("utf-8", errors="replace")


def _citations() -> dict[str, list[str]]:
    """Each cited id, with the places (path:line) that cite it."""
    cited: dict[str, list[str]] = defaultdict(list)
    for path, text in _text_files():
        for number, line in enumerate(text.splitlines(), start=1):
            for found in ID.findall(line):
                cited[found].append(f"{path.relative_to(ROOT)}:{number}")
    return cited


def _report(missing: dict[str, list[str]]) -> str:
    lines = [f"{len(missing)} requirement id(s) cited but not defined in docs/requirements.md:"]
    for rid in sorted(missing):
        lines.append(f"  {rid}, cited at:")
        lines.extend(f"    {where}" for where in missing[rid])
    return "\n".join(lines)


def test_requirements_page_defines_ids():
    assert len(_definitions()) > 0, "docs/requirements.md defines no R- ids"


def test_each_id_is_defined_once():
    seen: dict[str, int] = defaultdict(int)
    for rid in _definitions():
        seen[rid] += 1
    twice = sorted(rid for rid, count in seen.items() if count > 1)
    assert not twice, f"defined more than once in docs/requirements.md: {', '.join(twice)}"


def test_every_cited_id_is_defined():
    defined = set(_definitions())
    cited = _citations()
    assert cited, "found no R- ids cited in src/, tests/ or docs/: is the scan broken?"
    missing = {rid: where for rid, where in cited.items() if rid not in defined}
    assert not missing, _report(missing)


def test_requirements_page_cites_only_its_own_ids():
    defined = set(_definitions())
    text = REQUIREMENTS.read_text(encoding="utf-8")
    missing: dict[str, list[str]] = defaultdict(list)
    for number, line in enumerate(text.splitlines(), start=1):
        for rid in ID.findall(line):
            if rid not in defined:
                missing[rid].append(f"docs/requirements.md:{number}")
    assert not missing, _report(missing)
