"""Data in and out in a real browser (R-IO-2, R-IO-3, R-JOB-1): HQ imports a file in the
back office and gets its rejected lines; an associate exports what she filtered."""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.browser

CUSTOMERS = (
    "account;first_name;last_name;email;language;address_books\r\n"
    "IT900001;Alba;Ricci;alba@example.com;it;MI01\r\n"
    "IT900002;Bice;;bice@example.com;it;MI01\r\n"
    "IT900003;Ciro;Galli;not-an-email;it;MI01\r\n"
    "IT900004;Dora;Fabbri;dora@example.com;en;MI01\r\n"
)


def test_hq_uploads_customers_watches_the_job_and_downloads_the_rejects(page):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("hq_it")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/jobs/job/")
    page.get_by_role("link", name="Import data").click()
    page.get_by_label("Kind of file").select_option("customers")
    page.get_by_label("CSV file").set_input_files(
        {"name": "clients.csv", "mimeType": "text/csv", "buffer": CUSTOMERS.encode()}
    )
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/admin/jobs/job/*/change/")
    assert page.get_by_text("The file is being imported.").is_visible()
    # The page reloads itself while the job runs; the worker beside the server runs it.
    page.locator("#rejects-link").wait_for(timeout=60_000)
    assert page.get_by_text("4 / 4 (100 %)").is_visible()
    with page.expect_download() as download:
        page.locator("#rejects-link").click()
    with open(download.value.path(), encoding="utf-8") as rejects:
        rows = list(csv.reader(io.StringIO(rejects.read())))
    assert rows[0][:3] == ["line", "column", "reason"]
    assert [(row[0], row[1]) for row in rows[1:]] == [("3", "last_name"), ("4", "email")]
