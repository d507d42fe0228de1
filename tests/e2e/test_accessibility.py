"""An axe-core scan (npm's axe-core, `make axe`) of the storefront's pages a shopper goes
through: home, a category, a search, a product, the cart and the checkout, at phone and
desktop sizes. No serious or critical violation may remain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.journeys import create_customer, log_in

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def axe_page(browser):
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed at {AXE} (make axe)")
    contexts = []

    def make(viewport: dict):
        # Injected as an inline script: the page's Content-Security-Policy would refuse it.
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [v for v in found if v["impact"] in BLOCKING]


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}],
                         ids=["phone", "desktop"])
def test_no_serious_or_critical_accessibility_violations(shop, axe_page, viewport):
    base, catalog = shop
    page = axe_page(viewport)
    customer = create_customer(f"axe{viewport['width']}")
    product = catalog.products["merino"]
    report = {}
    for name, path in [("home", "/"), ("category", "/c/clothing/"), ("search", "/search?q=tee&brand=acme"),
                       ("zero results", "/search?q=zzzqqq"), ("product", product.get_absolute_url())]:
        page.goto(base + path)
        report[name] = violations(page)
    page.goto(base + "/accounts/login/")
    log_in(page, customer.username)
    page.goto(base + product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/**")
    report["cart"] = violations(page)
    page.goto(base + "/checkout/")
    report["checkout"] = violations(page)
    if not viewport["width"] > 1000:  # the drawer, opened
        page.goto(base + "/c/clothing/")
        page.locator("[data-drawer-open]").click()
        report["filter drawer"] = violations(page)
    assert not any(report.values()), json.dumps({k: v for k, v in report.items() if v}, indent=2)


def test_the_scan_reports_what_it_should(axe_page):
    """The scan is no formality: an unnamed button and an image without a text alternative fail it."""
    page = axe_page({"width": 800, "height": 600})
    page.set_content('<html lang="en"><title>t</title><main><button></button><img src="x.png"></main></html>')
    assert {v["id"] for v in violations(page)} >= {"button-name", "image-alt"}
