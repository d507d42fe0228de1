"""Guest checkout: an order without an account, seen by the browser that placed it, found
again by e-mail address and number, and claimed by the account that verifies that address."""

from __future__ import annotations

import re
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from checkout.models import Order
from tests.checkout_support import checkout_form, make_user, queued_emails, send_queued_emails

pytest_plugins = ["tests.checkout_fixtures"]
pytestmark = pytest.mark.django_db


def guest_order(client: Client, shop, email: str = "guest@example.com") -> Order:
    client.post(reverse("cart_add"), {"product": shop.lamp.pk, "quantity": "1"})
    response = client.post(reverse("checkout"), checkout_form(email=email, action="place"))
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(email=email)
    assert response["Location"] == reverse("order_pay", args=[order.pk])
    return order


def test_a_guest_checks_out_and_pays_without_an_account(client, shop, checkout_settings):
    order = guest_order(client, shop)
    assert order.user is None
    assert client.get(reverse("order_pay", args=[order.pk])).status_code == 200
    paid = client.post(reverse("order_pay_dummy", args=[order.pk]), {"outcome": "pay"}, follow=True)
    assert f"Order {order.number} is paid" in paid.content.decode()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert [e.to for e in queued_emails("paid")] == [["guest@example.com"]]
    # The e-mail's link opens the order in any browser (there is no account to log in to)…
    link = re.search(r"https?://[^/\s]+(/orders/access/\S+)", queued_emails("paid")[0].body_text).group(1)
    elsewhere = Client()
    assert elsewhere.get(link)["Location"] == order.get_absolute_url()
    assert order.number in elsewhere.get(order.get_absolute_url()).content.decode()
    # …and a forged or altered one opens nothing.
    for forged in (link[:-3] + "abc/", link.replace("access/", "access/x"), "/orders/access/1/"):
        stranger = Client()
        assert stranger.get(forged, follow=True).redirect_chain[-1][0] == reverse("order_lookup")
        assert stranger.get(order.get_absolute_url()).status_code == 302  # to the login


def test_another_browser_does_not_see_a_guest_order(client, shop, checkout_settings):
    order = guest_order(client, shop)
    stranger = Client()
    for name in ("order_detail", "order_pay"):
        assert stranger.get(reverse(name, args=[order.pk]))["Location"].startswith(reverse("login"))
    assert stranger.post(reverse("order_cancel", args=[order.pk])).status_code == 404
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT


def test_the_order_lookup_needs_the_right_email_address(client, shop, checkout_settings):
    order = guest_order(client, shop)
    other = Client()
    wrong = other.post(reverse("order_lookup"), {"email": "someone@example.com", "number": order.number})
    assert wrong.status_code == 200 and "No order matches" in wrong.content.decode()
    assert other.get(order.get_absolute_url()).status_code == 302  # to the login
    for garbage in ("abc", "-1", "9" * 30, ""):
        assert other.post(reverse("order_lookup"), {"email": "guest@example.com", "number": garbage}).status_code == 200
    found = other.post(reverse("order_lookup"), {"email": "GUEST@example.com", "number": order.number})
    assert found["Location"] == order.get_absolute_url()
    assert order.number in other.get(order.get_absolute_url()).content.decode()


def test_an_accounts_order_is_not_opened_by_the_lookup(client, shop, checkout_settings):
    ada = make_user("ada", "ada@example.com")
    client.force_login(ada)
    order = guest_order(client, shop, email="ada@example.com")
    assert order.user == ada
    stranger = Client()
    response = stranger.post(reverse("order_lookup"), {"email": "ada@example.com", "number": order.number})
    assert response["Location"].startswith(reverse("login"))
    assert stranger.get(order.get_absolute_url()).status_code == 302  # to the login, not to the order


def test_the_account_that_verifies_the_address_claims_its_guest_orders(client, shop, checkout_settings):
    mine = guest_order(client, shop, email="Claire@Example.com")
    someone_elses = guest_order(Client(), shop, email="other@example.com")
    claire = make_user("claire", "claire@example.com")
    address = EmailAddress.objects.create(user=claire, email="claire@example.com", verified=False, primary=True)
    # Not before the address is verified: anyone can type anyone's address.
    client.force_login(claire)
    assert Order.objects.get(pk=mine.pk).user is None

    client.post(reverse("account_email"), {"email": address.email, "action_send": ""})
    [message] = [m for m in send_queued_emails() if m.to == [address.email]]
    confirm_path = re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)
    assert client.post(confirm_path).status_code == 302
    assert Order.objects.get(pk=mine.pk).user == claire
    assert Order.objects.get(pk=someone_elses.pk).user is None
    assert mine.number in client.get(reverse("order_list")).content.decode()

    # A guest order placed later with the verified address joins at the next login.
    later = guest_order(Client(), shop, email="claire@example.com")
    client.logout()
    client.force_login(claire)  # force_login sends user_logged_in too
    assert Order.objects.get(pk=later.pk).user == claire


def test_a_guest_double_submit_makes_one_order(client, shop, checkout_settings):
    client.post(reverse("cart_add"), {"product": shop.lamp.pk, "quantity": "1"})
    form = checkout_form(email="twice@example.com", action="place", idempotency_key=str(uuid.uuid4()))
    first = client.post(reverse("checkout"), form)
    second = client.post(reverse("checkout"), form)
    assert first["Location"] == second["Location"]
    assert Order.objects.filter(email="twice@example.com").count() == 1


def test_the_order_lookup_is_rate_limited(client, shop, checkout_settings):
    checkout_settings.RATELIMIT_ENABLED = True
    address = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    for number in range(1, 11):
        client.post(reverse("order_lookup"), {"email": "guest@example.com", "number": str(number)},
                    REMOTE_ADDR=address)
    refused = client.post(reverse("order_lookup"), {"email": "guest@example.com", "number": "11"},
                          REMOTE_ADDR=address)
    assert refused.status_code == 429
