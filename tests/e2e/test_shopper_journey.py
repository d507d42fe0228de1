"""A shopper's journey in a real browser: the header box's suggestions (typo-tolerant),
the search page's facets, sort and Back button, then the purchase.

With JavaScript the search page is a django-unicorn component: a filter re-renders it
in place (no page load; the address bar follows with pushState, and Back restores the
previous state through popstate). Without JavaScript the same page is plain links and
GET forms, and Back is the browser's history of full page loads."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from store.models import Product
from tests.e2e.journeys import add_to_cart, check_out_and_pay, create_customer, to_top

pytestmark = pytest.mark.e2e

QUERY = "clothing"
BRANDS = ("acme", "zephyr")
PRICE_MIN, PRICE_MAX = 20, 100
BOUGHT = "Slim V-Neck Tee"


def clothing(**filters):
    """What the search for QUERY should list, from the database: the active clothing."""
    return Product.objects.filter(is_active=True, category__slug_path__startswith="clothing", **filters)


def narrowed(brands=BRANDS, price=True):
    rows = clothing(brand__slug__in=brands)
    return rows.filter(price__gte=PRICE_MIN, price__lte=PRICE_MAX) if price else rows


def count_text(total: int) -> str:
    return f"{total} product{'' if total == 1 else 's'} for “{QUERY}”"


def prices(page) -> list[Decimal]:
    texts = page.locator(".product-grid .price-now").all_inner_texts()
    return [Decimal(re.sub(r"[^0-9.]", "", text)) for text in texts]


def names(page) -> list[str]:
    return [text.strip() for text in page.locator(".product-grid .card-title").all_inner_texts()]


def brand_box(page, slug: str):
    return page.locator(f".facet-brand input[name=brand][value={slug}]")


def facet_count(page, facet: str, value: str):
    """The count beside a checkbox facet's value."""
    return page.locator(f".facet-{facet} label:has(input[value='{value}']) .facet-count")


def expect_listing(page, rows) -> None:
    """The count, the cards and the facet counts of the page agree with the database rows."""
    rows = list(rows)
    expect(page.locator(".listing-count")).to_have_text(count_text(len(rows)))
    expect(page.locator(".product-grid .card-title")).to_have_count(len(rows))
    assert sorted(names(page)) == sorted(p.name for p in rows)
    expect(facet_count(page, "availability", "1")).to_have_text(str(sum(p.stock_quantity > 0 for p in rows)))
    expect(page.locator("main")).not_to_contain_text(re.compile(r"\{[#%]"))  # no template syntax shown


def expect_brands_checked(page, checked) -> None:
    for slug in ("acme", "nordic", "zephyr"):
        if slug in checked:
            expect(brand_box(page, slug)).to_be_checked()
        else:
            expect(brand_box(page, slug)).not_to_be_checked()


def assert_ascending(page, rows) -> None:
    expected = sorted(rows, key=lambda p: p.price)
    expect(page.locator(".product-grid .card-title").first).to_have_text(expected[0].name)
    found = prices(page)
    assert found == sorted(found), found
    assert found == [p.price for p in expected]


# --- With JavaScript: suggestions, the reactive search page, history -------------------------


def suggestions(page, text: str):
    box = page.locator("#site-search")
    box.fill(text)
    listbox = page.locator("#site-search-listbox")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    return listbox


def marker(page):
    return page.evaluate("window.__marker")


def history_length(page) -> int:
    return page.evaluate("history.length")


def test_shopper_journey_with_javascript(shop, page, shots):
    base, catalog = shop
    customer = create_customer()

    # A misspelled product name: the dropdown offers the right products; a click picks one.
    page.goto(base + "/")
    listbox = suggestions(page, "headphnes")
    studio = listbox.get_by_role("option", name=re.compile("Studio Monitor Headphones"))
    expect(studio).to_be_visible()
    expect(listbox.get_by_role("option", name=re.compile("Wireless Noise Cancelling Headphones"))).to_be_visible()
    # Products named so come first; the earbuds (in the Headphones category, as for the word spelt
    # right) after them.
    products = listbox.get_by_role("option", name=re.compile("Headphones|Earbuds"))
    expect(products.nth(0)).to_contain_text("Headphones")
    expect(products.nth(1)).to_contain_text("Headphones")
    shots(page, "autocomplete-headphnes")
    studio.click()
    page.wait_for_url(f"**{catalog.products['studio'].get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Studio Monitor Headphones")

    # Another typo, picked with the keyboard.
    listbox = suggestions(page, "merinno")
    merino = listbox.get_by_role("option", name=re.compile("Merino Wool Sweater"))
    expect(merino).to_be_visible()
    shots(page, "autocomplete")
    page.locator("#site-search").press("ArrowDown")
    expect(merino).to_have_attribute("aria-selected", "true")
    expect(page.locator("#site-search")).to_have_attribute("aria-activedescendant", merino.get_attribute("id"))
    page.locator("#site-search").press("Enter")
    page.wait_for_url(f"**{catalog.products['merino'].get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Merino Wool Sweater")

    # Enter with no suggestion chosen sends the box as a plain search.
    suggestions(page, QUERY)
    page.locator("#site-search").press("Enter")
    page.wait_for_url(f"**/search?q={QUERY}")
    expect_listing(page, clothing())
    expect_brands_checked(page, ())

    # From here on, the page must never reload: a reload would lose this marker.
    page.evaluate("window.__marker = 1")
    entries = history_length(page)

    brand_box(page, "acme").check()
    expect(page).to_have_url(re.compile(r"[?&]brand=acme(&|$)"))
    expect_listing(page, narrowed(brands=("acme",), price=False))
    assert history_length(page) == entries + 1  # pushState, one entry per change

    brand_box(page, "zephyr").check()
    expect(page).to_have_url(re.compile(r"brand=acme&brand=zephyr"))
    expect_listing(page, narrowed(price=False))
    expect_brands_checked(page, BRANDS)
    expect(page.locator("#sort")).to_have_value("relevance")
    # Disjunctive: another brand's count is what ticking it would add.
    expect(facet_count(page, "brand", "nordic")).to_have_text(str(clothing(brand__slug="nordic").count()))

    price_min = page.locator(".facet-price input[name=price_min]")
    price_max = page.locator(".facet-price input[name=price_max]")
    price_min.fill(str(PRICE_MIN))
    price_min.press("Tab")
    expect(page).to_have_url(re.compile(rf"price_min={PRICE_MIN}"))
    expect_listing(page, narrowed(price=False).filter(price__gte=PRICE_MIN))
    price_max.fill(str(PRICE_MAX))
    price_max.press("Tab")
    expect(page).to_have_url(re.compile(rf"price_min={PRICE_MIN}&price_max={PRICE_MAX}"))
    expect_listing(page, narrowed())
    expect(page.locator(".chips")).to_contain_text(f"${PRICE_MIN}.00 – ${PRICE_MAX}.00")
    expect(facet_count(page, "brand", "nordic")).to_have_text(str(narrowed(brands=["nordic"]).count()))
    assert marker(page) == 1
    to_top(page)
    shots(page, "search-facets")
    relevance_order = names(page)

    # Sort by price, in place.
    page.locator("#sort").select_option("price_asc")
    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    assert_ascending(page, narrowed())
    assert marker(page) == 1
    shots(page, "search-sorted")

    # Back: the state before the sort (address, results, ticked boxes), still without a reload.
    page.go_back()
    expect(page).not_to_have_url(re.compile("sort="))
    expect(page).to_have_url(re.compile(rf"brand=acme&brand=zephyr&price_min={PRICE_MIN}&price_max={PRICE_MAX}"))
    expect(page.locator("#sort")).to_have_value("relevance")
    expect_listing(page, narrowed())
    expect(page.locator(".product-grid .card-title").first).to_have_text(relevance_order[0])
    assert names(page) == relevance_order
    expect_brands_checked(page, BRANDS)
    expect(price_max).to_have_value(str(PRICE_MAX))
    # Two steps further back: before the price range.
    page.go_back()
    page.go_back()
    expect(page).not_to_have_url(re.compile("price_"))
    expect_listing(page, narrowed(price=False))
    expect_brands_checked(page, BRANDS)
    expect(price_min).to_have_value("")
    # And forward again to the sorted list.
    page.go_forward()
    page.go_forward()
    page.go_forward()
    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    expect(page.locator("#sort")).to_have_value("price_asc")
    assert_ascending(page, narrowed())
    assert marker(page) == 1
    shots(page, "search-after-history")

    # Open a product, buy it.
    bought = Product.objects.get(name=BOUGHT)
    page.locator(".product-grid").get_by_role("link", name=BOUGHT).click()
    page.wait_for_url(f"**{bought.get_absolute_url()}")
    add_to_cart(page, bought, shots)
    check_out_and_pay(page, base, customer, bought, shots)


# --- Without JavaScript: the same journey through links and GET forms ----------------------


def search_from_header(page, text: str) -> None:
    page.locator("#site-search").fill(text)
    page.locator("#site-search").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))


def test_shopper_journey_without_javascript(shop, page_without_js, shots):
    page = page_without_js
    base, catalog = shop
    customer = create_customer()

    # The header box is a plain GET form; the search itself forgives the typo.
    page.goto(base + "/")
    expect(page.locator("#site-search-listbox")).to_have_count(0)
    search_from_header(page, "merinno")
    expect(page.locator(".listing-count")).to_have_text("1 product for “merinno”")
    expect(page.locator(".product-grid .card-title")).to_have_text(["Merino Wool Sweater"])
    shots(page, "typo-search")

    search_from_header(page, QUERY)
    expect_listing(page, clothing())
    entries = history_length(page)

    # Facets: tick two brands, type a price range, Apply.
    brand_box(page, "acme").check()
    brand_box(page, "zephyr").check()
    page.locator(".facet-price input[name=price_min]").fill(str(PRICE_MIN))
    page.locator(".facet-price input[name=price_max]").fill(str(PRICE_MAX))
    shots(page, "facets-ticked")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"brand=zephyr"))
    assert history_length(page) == entries + 1
    for expected in ("q=clothing", "brand=acme", "brand=zephyr", f"price_min={PRICE_MIN}", f"price_max={PRICE_MAX}"):
        assert expected in page.url
    expect_listing(page, narrowed())
    expect_brands_checked(page, BRANDS)
    expect(facet_count(page, "brand", "nordic")).to_have_text(str(narrowed(brands=["nordic"]).count()))
    shots(page, "search-facets")

    # Back and Forward over full page loads: each page shows its own state (the boxes
    # ticked before Apply are not restored on the page that had them unticked).
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/search\?q={QUERY}$"))
    expect_listing(page, clothing())
    expect_brands_checked(page, ())
    expect(page.locator(".facet-price input[name=price_min]")).to_have_value("")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"brand=zephyr"))
    expect_listing(page, narrowed())
    expect_brands_checked(page, BRANDS)

    # The sort form, with its Apply button.
    page.locator("#sort").select_option("price_asc")
    page.locator(".sort-form").get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"sort=price_asc"))
    assert_ascending(page, narrowed())
    for expected in ("brand=acme", "brand=zephyr", f"price_min={PRICE_MIN}"):
        assert expected in page.url
    shots(page, "search-sorted")

    # Back: the previous page, as it was.
    page.go_back()
    expect(page).not_to_have_url(re.compile("sort="))
    expect(page).to_have_url(re.compile(r"brand=zephyr"))
    expect(page.locator("#sort")).to_have_value("relevance")
    expect_listing(page, narrowed())
    expect_brands_checked(page, BRANDS)
    page.go_forward()
    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    assert_ascending(page, narrowed())

    # Open a product, buy it.
    bought = Product.objects.get(name=BOUGHT)
    page.locator(".product-grid").get_by_role("link", name=BOUGHT).click()
    page.wait_for_url(f"**{bought.get_absolute_url()}")
    add_to_cart(page, bought, shots)
    check_out_and_pay(page, base, customer, bought, shots)
