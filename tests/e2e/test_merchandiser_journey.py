"""A merchandiser's journey in a real browser: log into the admin, add a synonym set and a
pin through the admin forms, see them in the search preview, and on the storefront
within seconds, without a reindex.

The compiled rules are cached per process and re-checked against a version key in the
shared cache every couple of seconds (search.merchandising.rules); the live server runs in this process,
so the storefront is polled, with a deadline, right after the saves (before the preview,
which drops this process's copy on its own)."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from search.merchandising.models import PinnedProduct, PinRule, SynonymSet
from search.query.request import SearchRequest
from search.services import search_products
from store.models import Product
from store.roles import MERCHANDISER, assign_role
from tests.e2e.journeys import PASSWORD, log_in

pytestmark = pytest.mark.e2e

RULES_LIVE_WITHIN = 5.0  # seconds, from the save to the storefront
SYNONYMS = "tee, t-shirt"
PIN_QUERY = "sweater"


def tees():
    """What "tee" finds once "tee, t-shirt" are synonyms, from the database."""
    names = Product.objects.filter(is_active=True).values_list("name", flat=True)
    return sorted(n for n in names if re.search(r"\b(tee|t-shirt)\b", n, re.IGNORECASE))


def storefront(page, base: str, text: str) -> None:
    page.goto(f"{base}{reverse('search')}?{urlencode({'q': text})}")
    expect(page.locator(".listing-count")).to_be_visible()


def card_names(page) -> list[str]:
    return [name.strip() for name in page.locator(".product-grid .card-title").all_inner_texts()]


def poll_storefront(page, base: str, text: str, check, deadline: float) -> list[str]:
    """Reload the storefront's search for ``text`` until ``check(names)`` holds (or fail at the deadline)."""
    while True:
        storefront(page, base, text)
        names = card_names(page)
        if check(names):
            return names
        if time.monotonic() > deadline:
            pytest.fail(f"the storefront did not show the new rule for {text!r} in time: {names}")
        page.wait_for_timeout(250)  # a poll interval, not a wait for a state


def pick_autocomplete(page, select_id: str, text: str, option: str) -> None:
    """Choose ``option`` in the admin's autocomplete (select2) widget of the <select> ``select_id``."""
    page.locator(f"#{select_id} + .select2-container").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(text)
    page.locator(".select2-results__option", has_text=option).click()
    expect(page.locator(f"#{select_id}")).to_have_value(re.compile(r"^\d+$"))


def test_merchandiser_journey(shop, page, shots):
    base, catalog = shop
    merchandiser = User.objects.create_user("merch", "merch@example.com", PASSWORD)
    assign_role(merchandiser, MERCHANDISER)

    # What shoppers see before any rule (this also loads the rules into this process's cache).
    baseline = search_products(SearchRequest(text=PIN_QUERY, with_facets=False), apply_rules=False)
    pinned = catalog.products["cardigan"]  # a sweater, below the merino one without rules
    assert pinned.pk in [hit.id for hit in baseline.hits[1:]]
    storefront(page, base, PIN_QUERY)
    assert card_names(page)[0] != pinned.name
    storefront(page, base, "tee")
    before = card_names(page)
    assert "Organic Cotton Crew Neck T-Shirt" not in before
    assert len(before) < len(tees())

    # Log into the admin.
    page.goto(base + reverse("admin:index"))
    page.wait_for_url("**/login/**")
    log_in(page, merchandiser.username)
    page.wait_for_url(re.compile(re.escape(reverse("admin:index")) + "$"))
    expect(page.locator("#content")).to_contain_text("Synonym sets")
    shots(page, "admin-home")

    # A two-way synonym set, through its admin form.
    page.goto(base + reverse("admin:search_synonymset_add"))
    page.select_option("select[name=kind]", SynonymSet.Kind.TWO_WAY)
    page.fill("input[name=terms]", SYNONYMS)
    shots(page, "synonym-form")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    synonyms = SynonymSet.objects.get()
    assert synonyms.term_list() == ["tee", "t-shirt"] and synonyms.state() == "live"

    # A pin for "sweater": the product picked in the inline's autocomplete, shown first.
    page.goto(base + reverse("admin:search_pinrule_add"))
    page.fill("input[name=query]", PIN_QUERY.upper())  # normalised on save
    page.fill("input[name=entries-0-position]", "0")
    pick_autocomplete(page, "id_entries-0-product", pinned.name.split()[0], pinned.name)
    page.select_option("select[name=entries-0-action]", PinnedProduct.Action.PIN)
    shots(page, "pin-form")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    saved_at = time.monotonic()
    rule = PinRule.objects.get()
    assert rule.query == PIN_QUERY
    assert list(rule.entries.values_list("product_id", "action")) == [(pinned.pk, PinnedProduct.Action.PIN)]

    # The storefront follows within seconds: no reindex, no restart.
    shopper = page.context.browser.new_context(viewport=page.viewport_size).new_page()
    try:
        deadline = saved_at + RULES_LIVE_WITHIN
        names = poll_storefront(shopper, base, PIN_QUERY, lambda names: names[:1] == [pinned.name], deadline)
        assert sorted(names) == sorted(Product.objects.get(pk=h.id).name for h in baseline.hits)
        names = poll_storefront(shopper, base, "tee", lambda names: sorted(names) == tees(), deadline)
        expect(shopper.locator(".listing-count")).to_have_text(f"{len(tees())} products for “tee”")
        assert time.monotonic() - saved_at <= RULES_LIVE_WITHIN
    finally:
        shopper.context.close()

    # The preview: the pin first (and why), the synonym named, the products it let in.
    page.goto(f"{base}{reverse('admin:search_preview')}?{urlencode({'q': PIN_QUERY})}")
    first = page.locator("#preview-with-rules tbody tr").first
    expect(first).to_have_attribute("data-product-id", str(pinned.pk))
    expect(first).to_contain_text(pinned.name)
    expect(first).to_contain_text("pinned")
    expect(page.locator("#preview-without-rules tbody tr").first).not_to_have_attribute(
        "data-product-id", str(pinned.pk))
    shots(page, "preview-pin")

    page.fill("input[name=q]", "tee")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url("**q=tee**")
    expect(page.locator("#preview-rules")).to_contain_text(f"Synonyms: {SYNONYMS}")
    expect(page.locator("#preview-with-rules tbody tr")).to_have_count(len(tees()))
    expect(page.locator("#preview-without-rules tbody tr")).to_have_count(len(before))
    crew = page.locator("#preview-with-rules tbody tr", has_text="Organic Cotton Crew Neck T-Shirt")
    expect(crew).to_contain_text("new")
    expect(crew).to_contain_text("matched through synonym")
    shots(page, "preview-synonym")

    # And the shop, as shoppers see it now.
    storefront(page, base, PIN_QUERY)
    expect(page.locator(".product-grid .card-title").first).to_have_text(pinned.name)
    shots(page, "storefront-pin")
