"""Analytics measures on the cards, set up by HQ in the back office against the fake
Microsoft services (issue: analytics measures; R-CI-1..3, R-BOOK-6)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, save_screenshot
from tests.browser.test_store_app import admin_log_in
from tests.conftest import CI_ENVIRONMENT

pytestmark = pytest.mark.browser


def test_giulias_cards_show_two_measures_then_the_first_attribute(
    browser, demo_server, azure_fakes
):
    hq_context = browser.new_context(base_url=demo_server)
    store_context = browser.new_context(
        base_url=demo_server, viewport={"width": 1280, "height": 900}
    )
    hq, giulia = hq_context.new_page(), store_context.new_page()
    try:
        admin_log_in(hq)
        # The key vault that holds the application's key.
        hq.goto("/admin/insights/keyvault/add/")
        hq.get_by_label("Name").fill("retail")
        hq.get_by_label("Vault URL").fill(azure_fakes.vault_url)
        hq.get_by_label("Tenant (directory) id").fill(azure_fakes.TENANT_ID)
        hq.get_by_label("Application (client) id").fill("clienteling-vault-reader")
        hq.get_by_label("Authority host").fill(azure_fakes.entra_url)
        hq.get_by_role("button", name="Save", exact=True).click()
        assert "was added successfully" in hq.locator(".messagelist").inner_text()

        # The analytics settings of ITJW, with two measures; saving them on checks them.
        hq.goto("/admin/insights/insightssettings/add/")
        hq.get_by_label("Legal entity").select_option(
            label="ITJW Jewellery & Fashion Italia S.p.A."
        )
        hq.get_by_label("Enabled").check()
        hq.get_by_label("Service URL").fill(azure_fakes.org_url(CI_ENVIRONMENT))
        hq.get_by_label("Environment (instance) id").fill(CI_ENVIRONMENT)
        hq.get_by_label("Tenant (directory) id").fill(azure_fakes.TENANT_ID)
        hq.get_by_label("Authority host").fill(azure_fakes.entra_url)
        hq.get_by_label("Application (client) id").fill("clienteling-insights")
        hq.get_by_label("Secret reference").fill("vault://retail/ci-client-secret-wrong")
        hq.get_by_label("Alternate customer id").fill("msdynci_alternatekey")
        hq.get_by_label("First measure").fill("ChurnProbability")
        hq.get_by_label("Second measure").fill("CustomerLifetimeValue")
        hq.get_by_role("button", name="Save", exact=True).click()
        # A wrong reference: refused beside the field, nothing saved.
        assert "has no secret named ci-client-secret-wrong" in hq.locator(".errorlist").inner_text()
        hq.get_by_label("Secret reference").fill("vault://retail/ci-client-secret")
        hq.get_by_role("button", name="Save", exact=True).click()
        assert "was added successfully" in hq.locator(".messagelist").inner_text()

        log_in(giulia, "giulia")
        giulia.get_by_role("link", name="My client book").click()
        card = giulia.locator("li.card").first
        codes = [
            card.locator(".properties > div").nth(i).get_attribute("data-code") for i in range(3)
        ]
        assert codes == ["ChurnProbability", "CustomerLifetimeValue", "BIRTHDAY"]
        churn = card.locator("[data-code=ChurnProbability]")
        assert churn.locator("dt").inner_text() == "Churn probability"
        account = card.get_attribute("data-account")
        expected = azure_fakes.measures_for(account)["ChurnProbability"]
        assert float(churn.locator("dd").get_attribute("data-value")) == pytest.approx(expected)
        save_screenshot(giulia, "screenshots", "measures.png")
    finally:
        # Off again, as the other browser tests expect the demo's plain cards.
        hq.goto("/admin/insights/insightssettings/")
        if hq.get_by_role("link", name="ITJW").count():
            hq.get_by_role("link", name="ITJW").first.click()
            hq.get_by_label("Enabled").uncheck()
            hq.get_by_role("button", name="Save", exact=True).click()
        hq_context.close()
        store_context.close()
