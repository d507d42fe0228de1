"""The storefront on a phone (390 × 844) and a desktop (1280 × 800): the filter drawer, the
reactive category page and paging, with and without JavaScript.

What each listing should show is read from the database (the behaviour catalog)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from store.demo.images import DemoImages
from store.models import Product, ProductImage
from tests.conftest import sync_index
from tests.e2e.journeys import create_customer, log_in, to_top

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def pictured(shop):
    """The shop with each product's demo picture (its type and colour), as seeding gives them."""
    pictures = DemoImages()
    for product in Product.objects.select_related("category"):
        product.images.all().delete()
        name = pictures.source(product.category.name, product.attributes.get("color"))
        ProductImage.objects.create(product=product, image=name, alt=product.name)
    sync_index()
    return shop


@pytest.fixture
def context_for(browser):
    contexts = []

    def make(viewport: dict, javascript: bool = True):
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def clothing(**filters):
    return Product.objects.filter(is_active=True, category__slug_path__startswith="clothing", **filters)


def card_names(page) -> list[str]:
    return sorted(t.strip() for t in page.locator(".product-grid .card-title").all_inner_texts())


def count_text(total: int) -> str:
    return f"{total} product{'' if total == 1 else 's'}"


def no_reload_marker(page) -> None:
    page.evaluate("window.__stillHere = true")


def still_same_document(page) -> bool:
    return page.evaluate("window.__stillHere === true")


def test_phone_category_page_products_first_and_the_filter_drawer(pictured, context_for, shots):
    base, _ = pictured
    page = context_for(PHONE)
    page.goto(base + "/c/clothing/")
    # Products first: the first card starts within the first screen, the filters are folded away.
    first_card = page.locator(".product-grid .card").first
    expect(first_card).to_be_visible()
    assert first_card.bounding_box()["y"] < PHONE["height"], first_card.bounding_box()
    expect(page.locator(".facet-panel")).to_be_hidden()
    title = page.get_by_role("heading", level=1)
    assert title.bounding_box()["width"] > PHONE["width"] * 0.6  # not squeezed beside a second box
    assert page.locator('input[type="search"]').count() == 1
    shots(page, "phone-category")

    no_reload_marker(page)
    toggle = page.locator("[data-drawer-open]")
    toggle.click()
    panel = page.locator(".facet-panel")
    expect(panel).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.locator(".facet-brand input[value=acme]").check()
    acme = clothing(brand__slug="acme")
    done = page.locator("[data-drawer-done]")
    expect(done).to_have_text(re.compile(rf"Show {acme.count()} results?"))
    shots(page, "phone-drawer")
    expect(page.locator(".filter-count")).to_have_text("1")  # the applied filters, on the button
    done.click()
    expect(panel).to_be_hidden()
    expect(page.locator(".listing-count")).to_have_text(count_text(acme.count()))
    assert card_names(page) == sorted(p.name for p in acme)
    assert still_same_document(page)
    expect(page).to_have_url(re.compile(r"/c/clothing/\?brand=acme$"))
    expect(page.locator(".listing-main")).not_to_have_class(re.compile("is-loading"))
    to_top(page)
    shots(page, "phone-filtered")

    # Escape closes the drawer and gives the focus back to its button.
    page.locator("[data-drawer-open]").click()
    expect(panel).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.locator("[data-drawer-open]")).to_be_focused()


def test_phone_drawer_without_javascript(shop, context_for):
    base, _ = shop
    page = context_for(PHONE, javascript=False)
    page.goto(base + "/c/clothing/")
    expect(page.locator(".facet-panel")).to_be_hidden()
    page.locator("[data-drawer-open]").click()  # a link to #filters: the panel opens by :target
    expect(page.locator(".facet-panel")).to_be_visible()
    page.locator(".facet-brand input[value=zephyr]").check()
    page.locator("[data-drawer-done]").click()  # submits the filter form
    page.wait_for_url(re.compile(r"brand=zephyr"))
    assert "price_min" not in page.url and "price_max" not in page.url  # no empty parameters
    expect(page.locator(".facet-panel")).to_be_hidden()
    assert card_names(page) == sorted(p.name for p in clothing(brand__slug="zephyr"))


def test_desktop_category_page_is_reactive_with_the_search_pages_url_state(pictured, context_for, shots):
    base, _ = pictured
    page = context_for(DESKTOP)
    page.goto(base + "/c/clothing/")
    expect(page.locator(".facet-panel")).to_be_visible()
    expect(page.locator("[data-drawer-open]")).to_be_hidden()
    no_reload_marker(page)
    page.locator(".facet-attr_color input[value=Black]").check()  # applies at once, no button
    black = clothing(attributes__color="Black")
    expect(page.locator(".listing-count")).to_have_text(count_text(black.count()))
    assert card_names(page) == sorted(p.name for p in black)
    expect(page).to_have_url(re.compile(r"/c/clothing/\?attr_color=Black$"))
    page.locator(".facet-price input[name=price_min]").fill("20")
    page.locator(".facet-price input[name=price_min]").press("Tab")
    expect(page).to_have_url(re.compile(r"/c/clothing/\?price_min=20&attr_color=Black$|attr_color=Black&price_min=20$"))
    assert "price_max" not in page.url
    assert still_same_document(page)
    expect(page.locator(".listing-main")).not_to_have_class(re.compile("is-loading"))
    to_top(page)
    shots(page, "desktop-category-reactive")
    page.go_back()  # the address bar's state, restored in place
    expect(page).to_have_url(re.compile(r"/c/clothing/\?attr_color=Black$"))
    expect(page.locator(".facet-price input[name=price_min]")).to_have_value("")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_paging_shows_the_next_page_from_the_top_of_the_results(shop, context_for, viewport):
    base, _ = shop
    page = context_for(viewport)
    size = 3 if viewport is PHONE else 6  # enough cards that the pager is below the first screen
    page.goto(base + f"/c/clothing/?page_size={size}&sort=price_asc")
    cheapest = [p.name for p in clothing().order_by("price", "id")]
    assert len(cheapest) > size
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 100
    no_reload_marker(page)
    page.locator(".pagination a[rel=next]").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(".product-grid .card-title").first).to_have_text(cheapest[size])
    assert still_same_document(page)
    top = page.locator("#results").bounding_box()["y"]
    assert -5 <= top <= viewport["height"] / 3, top  # the results' top is on screen, not the page's foot
    expect(page.locator("#listing-title")).to_be_focused()

    page.goto(base + "/c/clothing/?page=300")
    expect(page.locator(".listing-main")).to_contain_text("There are no more products here")


def test_choosing_a_shipping_method_updates_the_total_at_once(shop, context_for):
    base, catalog = shop
    customer = create_customer("shipper")
    page = context_for(DESKTOP)
    page.goto(base + "/accounts/login/")
    log_in(page, customer.username)
    product = catalog.products["merino"]
    page.goto(base + product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/**")
    page.goto(base + "/checkout/")
    shipping = page.locator(".summary-rows > div").nth(1).locator("dd")
    total = page.locator(".summary-total dd")
    expect(shipping).to_have_text("$4.99")
    before = total.inner_text()
    no_reload_marker(page)
    page.locator("input[name=shipping_method][value=express]").check()
    expect(shipping).to_have_text("$14.99")  # no button pressed
    expect(total).not_to_have_text(before)
    assert still_same_document(page)
