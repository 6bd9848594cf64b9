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


def test_associate_filters_big_spenders_and_exports_them_as_excel(page, tmp_path):
    """R-SALE-3, R-IO-3: "spent over 1,000 in 12 months" in the filter panel; the Excel file
    holds exactly the customers the page shows."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from tests.browser.conftest import log_in

    log_in(page, "giulia")
    page.get_by_role("link", name="My client book").click()
    spend = page.locator("#filters [data-attribute=SPEND_12M]")
    spend.locator("input[name='attr.SPEND_12M.min']").fill("1000")
    spend.locator("input[name='attr.SPEND_12M.min']").press("Enter")
    page.wait_for_url("**attr.SPEND_12M.min=1000**")
    page.wait_for_load_state("networkidle")
    shown = page.locator("#results [data-account]").evaluate_all(
        "cards => cards.map(card => card.dataset.account)"
    )
    assert shown, "the demo has customers who spent over 1,000 in 12 months"
    with page.expect_download() as download:
        page.get_by_test_id("export").get_by_role("link", name="Excel file").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    download.value.save_as(tmp_path / "export.xlsx")
    sheet = load_workbook(tmp_path / "export.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "account" and rows[0][-2:] == ("book", "owner")
    exported = [row[0] for row in rows[1:]]
    # Every match, not only the first page of cards.
    assert exported[: len(shown)] == shown
    assert all(row[-1] == "giulia" for row in rows[1:])
