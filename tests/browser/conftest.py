"""Browser tests: Debian's Chromium, driven by Playwright, against a real server process
serving the demo data from its own database (SQLite file, or a fresh PostgreSQL database
when DATABASE_URL points at PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

from tests.servers import MANAGE, free_port, seeded_environment, serving

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# The README's pictures are rewritten only by `make screenshots`; a test run elsewhere keeps
# them in a scratch folder, so running the suite leaves the clone as it was.
DOCS_PICTURES = os.environ.get("CLIENTELING_SCREENSHOTS") == "1"
# R-UX-1: tablet first (portrait and landscape), then phone and desktop.
SIZES = {
    "tablet": (820, 1180),
    "tablet-landscape": (1180, 820),
    "phone": (390, 844),
    "desktop": (1280, 900),
}
AXE = Axe()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(
        reason=f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    )
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory, azure_fakes) -> Iterator[str]:
    """A server process on loopback with freshly migrated and seeded demo data, trusting
    the fake Microsoft services (customer analytics is off until a test turns it on)."""
    from tests.conftest import VAULT_READER_SECRET

    with seeded_environment(tmp_path_factory.mktemp("browser"), "browser") as env:
        env["AZURE_CA_BUNDLE"] = azure_fakes.ca_file
        env["CLIENTELING_ALLOWED_HOSTS_EXTRA"] = "127.0.0.1"
        env["CLIENTELING_KEYVAULT_CLIENT_SECRET"] = VAULT_READER_SECRET
        port = free_port()
        log = tmp_path_factory.mktemp("server") / "server.log"
        # The background-job worker beside the server, as `make run` starts it.
        with (
            log.with_name("worker.log").open("wb") as worker_log,
            serving(
                [*MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"], env, log, port
            ) as url,
        ):
            worker = subprocess.Popen(
                [*MANAGE, "jobs_worker"],
                env=env,
                cwd=ROOT,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
            try:
                yield url
            finally:
                worker.terminate()
                worker.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def page(browser, demo_server):
    """A fresh browser context (no cookies) whose console errors fail the test."""
    context = browser.new_context(base_url=demo_server, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    documents: set[str] = set()

    def console(msg) -> None:
        # A refused page (403 and its message) is a document the test asked for, not an error
        # of the page; a failed script, style or htmx request still is.
        refused_document = (
            msg.text.startswith("Failed to load resource") and msg.location.get("url") in documents
        )
        if msg.type == "error" and not refused_document:
            errors.append(msg.text)

    tab.on(
        "response",
        lambda r: documents.add(r.url) if r.request.resource_type == "document" else None,
    )
    tab.on("console", console)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], f"console errors: {errors}"


def log_in(page, username: str, password: str = "demo") -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def fits_every_size(page, what: str, screenshot: str | None = None) -> None:
    """R-UX-1 at each size: no sideways scrolling and no axe-core violation; the page is
    left at the tablet size, and ``screenshot`` (for the README) is taken there."""
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(50)
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{what} scrolls sideways at {name}: {scroll} > {inner}"
        results = AXE.run(page)
        assert results.violations_count == 0, f"{what} at {name}:\n{results.generate_report()}"
        if screenshot and name == "tablet":
            save_screenshot(page, "img", screenshot)
    width, height = SIZES["tablet"]
    page.set_viewport_size({"width": width, "height": height})


def save_screenshot(page, folder: str, name: str, *, full_page: bool = False) -> Path:
    """A picture of the page for the README (docs/<folder>/<name>) under `make screenshots`,
    else in a scratch folder."""
    if DOCS_PICTURES:
        target = ROOT / "docs" / folder
    else:
        target = Path(os.environ.get("TMPDIR", "/tmp")) / "clienteling-screenshots" / folder
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=full_page)
    return target / name
