"""The purchase in a real browser: product → cart → login → checkout → dummy payment → order."""

import pytest

from tests.e2e.journeys import buy_and_pay

pytestmark = pytest.mark.e2e


def test_checkout_journey_with_javascript(shop, page, shots):
    base, catalog = shop
    buy_and_pay(page, base, catalog.products["merino"], shots)


def test_checkout_journey_without_javascript(shop, page_without_js, shots):
    base, catalog = shop
    buy_and_pay(page_without_js, base, catalog.products["merino"], shots)
