"""The cart: anonymous and logged-in, merged at login, stock checked at every step,
prices read from the catalog, the count in the header of every page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from checkout.cart import CART_SESSION_KEY, merge_carts
from checkout.models import Cart, CartItem
from tests.checkout_support import make_user

# The shop, settings and fake-Stripe fixtures.
pytest_plugins = ["tests.checkout_fixtures"]

pytestmark = pytest.mark.django_db


def add(client, product, quantity="1"):
    return client.post(reverse("cart_add"), {"product": product.pk, "quantity": quantity})


def session_cart(client) -> Cart:
    return Cart.objects.get(pk=client.session[CART_SESSION_KEY])


def quantities(cart: Cart) -> dict[str, int]:
    return {item.product.sku: item.quantity for item in cart.items.select_related("product")}


# --- Adding, changing, removing ------------------------------------------------------------


def test_an_anonymous_visitor_adds_to_a_session_cart(client, shop, checkout_settings):
    response = add(client, shop.lamp, "2")
    assert response.status_code == 302 and response["Location"] == reverse("cart")
    add(client, shop.lamp, "1")
    cart = session_cart(client)
    assert cart.user is None
    assert quantities(cart) == {"LAMP-1": 3}

    page = client.get(reverse("cart"))
    assert "Added 1 × “Desk Lamp” to your cart." in page.content.decode()
    assert page.context["cart"].subtotal == Decimal("59.97")


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("11", "Only 10 of “Desk Lamp” left in stock."),
        ("0", "Quantity must be at least 1."),
        ("-3", "Quantity must be at least 1."),
        ("two", "Enter a whole number."),
        ("", "Enter a quantity."),
        ("99999999999999999999", "You can order at most 9999 at once."),
    ],
)
def test_a_quantity_above_stock_or_below_one_is_a_form_error(client, shop, quantity, message):
    response = add(client, shop.lamp, quantity)
    assert response.status_code == 200
    assert response.context["form"].errors["quantity"] == [message]
    assert message.replace("“", "&ldquo;") in response.content.decode() or message in response.content.decode()
    assert not CartItem.objects.exists()


def test_stock_counts_what_the_cart_already_holds(client, shop):
    add(client, shop.mug, "2")
    response = add(client, shop.mug, "2")
    assert response.context["form"].errors["quantity"] == [
        "Only 3 of “Enamel Mug” left in stock (you already have 2 in your cart)."
    ]
    assert quantities(session_cart(client)) == {"MUG-1": 2}


def test_sold_out_hidden_or_unknown_products_cannot_be_added(client, shop):
    assert add(client, shop.sold_out).context["form"].errors["quantity"] == ["Sorry, “Sold-out Socks” is out of stock."]
    shop.lamp.is_active = False
    shop.lamp.save()
    assert add(client, shop.lamp).status_code == 404
    assert client.post(reverse("cart_add"), {"product": "nope", "quantity": "1"}).status_code == 404
    assert client.post(reverse("cart_add"), {"product": "9" * 30, "quantity": "1"}).status_code == 404
    assert client.post(reverse("cart_add"), {}).status_code == 404
    assert client.get(reverse("cart_add")).status_code == 405  # changes are POST only
    assert not CartItem.objects.exists()


def test_change_quantity_and_remove(client, shop):
    add(client, shop.lamp, "1")
    add(client, shop.mug, "1")
    cart = session_cart(client)
    lamp_item = cart.items.get(product=shop.lamp)

    assert client.post(reverse("cart_update", args=[lamp_item.pk]), {"quantity": "4"}).status_code == 302
    assert quantities(cart) == {"LAMP-1": 4, "MUG-1": 1}

    too_many = client.post(reverse("cart_update", args=[lamp_item.pk]), {"quantity": "50"})
    assert too_many.status_code == 200
    line = next(line for line in too_many.context["cart"].lines if line.item.pk == lamp_item.pk)
    assert line.form.errors["quantity"] == ["Only 10 of “Desk Lamp” left in stock."]
    zero = client.post(reverse("cart_update", args=[lamp_item.pk]), {"quantity": "0"})
    assert "Quantity must be at least 1." in zero.content.decode()
    assert quantities(cart) == {"LAMP-1": 4, "MUG-1": 1}

    assert client.post(reverse("cart_remove", args=[lamp_item.pk])).status_code == 302
    assert quantities(cart) == {"MUG-1": 1}


def test_nobody_touches_another_shoppers_cart_lines(client, shop):
    other = make_user("other")
    other_cart = Cart.objects.create(user=other)
    item = CartItem.objects.create(cart=other_cart, product=shop.lamp, quantity=2)
    add(client, shop.mug, "1")  # the client has a cart of its own
    assert client.post(reverse("cart_update", args=[item.pk]), {"quantity": "1"}).status_code == 404
    assert client.post(reverse("cart_remove", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.quantity == 2


def test_prices_are_always_read_from_the_catalog(client, shop):
    add(client, shop.lamp, "2")
    shop.lamp.price = Decimal("25.00")
    shop.lamp.save()
    cart = client.get(reverse("cart")).context["cart"]
    assert [(line.unit_price, line.line_total) for line in cart.lines] == [(Decimal("25.00"), Decimal("50.00"))]
    assert cart.subtotal == Decimal("50.00")


def test_the_cart_flags_lines_that_stock_no_longer_covers(client, shop):
    add(client, shop.mug, "3")
    shop.mug.stock_quantity = 1
    shop.mug.save()
    page = client.get(reverse("cart"))
    assert page.context["cart"].has_problems
    assert "Only 1 of “Enamel Mug” left in stock." in page.content.decode()
    assert reverse("checkout") not in page.content.decode().split('class="summary"')[1]


def test_the_header_shows_the_cart_count_on_every_page(client, shop):
    add(client, shop.lamp, "2")
    add(client, shop.mug, "1")
    for url in (reverse("home"), shop.lamp.get_absolute_url(), reverse("cart"), reverse("login")):
        html = client.get(url).content.decode()
        assert f'href="{reverse("cart")}"' in html, url
        assert 'data-cart-count>3<span class="visually-hidden"> items</span>' in html, url


def test_the_product_page_has_a_working_add_to_cart_form(client, shop):
    html = client.get(shop.lamp.get_absolute_url()).content.decode()
    assert f'action="{reverse("cart_add")}"' in html
    assert f'name="product" value="{shop.lamp.pk}"' in html
    assert "csrfmiddlewaretoken" in html
    assert "Add to cart" not in client.get(shop.sold_out.get_absolute_url()).content.decode()


def test_add_to_cart_is_protected_by_csrf(shop):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("cart_add"), {"product": shop.lamp.pk, "quantity": "1"}).status_code == 403


# --- Merging at login -----------------------------------------------------------------------


def test_the_cart_follows_the_shopper_through_login(client, shop):
    user = make_user("ada")
    user_cart = Cart.objects.create(user=user)
    CartItem.objects.create(cart=user_cart, product=shop.lamp, quantity=1)
    add(client, shop.lamp, "2")
    add(client, shop.mug, "1")
    anonymous_cart_id = client.session[CART_SESSION_KEY]

    response = client.post(reverse("login"), {"login": "ada", "password": "unused-password"})
    assert response.status_code == 302

    assert quantities(user_cart) == {"LAMP-1": 3, "MUG-1": 1}
    assert not Cart.objects.filter(pk=anonymous_cart_id).exists()
    assert CART_SESSION_KEY not in client.session
    assert "data-cart-count>4<" in client.get(reverse("home")).content.decode()

    # Logging out leaves the user's cart in place for their next visit.
    client.post(reverse("logout"))
    assert "data-cart-count>0<" in client.get(reverse("home")).content.decode()
    client.force_login(user)
    assert "data-cart-count>4<" in client.get(reverse("home")).content.decode()


def test_merge_combines_quantities_up_to_stock(shop):
    user = make_user("ada")
    target = Cart.objects.create(user=user)
    source = Cart.objects.create()
    CartItem.objects.create(cart=target, product=shop.mug, quantity=2)
    CartItem.objects.create(cart=source, product=shop.mug, quantity=2)  # 4 wanted, 3 in stock
    CartItem.objects.create(cart=source, product=shop.lamp, quantity=4)

    result = merge_carts(source, target)

    assert quantities(target) == {"MUG-1": 3, "LAMP-1": 4}
    assert result.notes == ["Only 3 of “Enamel Mug” are in stock; your cart holds 3."]
    assert not Cart.objects.filter(pk=source.pk).exists()


def test_merge_drops_what_can_no_longer_be_bought_and_never_reduces_the_users_cart(shop):
    user = make_user("ada")
    target = Cart.objects.create(user=user)
    source = Cart.objects.create()
    CartItem.objects.create(cart=target, product=shop.mug, quantity=3)
    CartItem.objects.create(cart=source, product=shop.mug, quantity=1)
    CartItem.objects.create(cart=source, product=shop.lamp, quantity=1)
    CartItem.objects.create(cart=source, product=shop.sold_out, quantity=1)
    shop.mug.stock_quantity = 1  # below what the user's cart holds: checkout will say so
    shop.mug.save()
    shop.lamp.is_active = False
    shop.lamp.save()

    result = merge_carts(source, target)

    assert quantities(target) == {"MUG-1": 3}
    assert result.notes == [
        "Your cart already holds all we have of “Enamel Mug”.",
        "“Desk Lamp” is no longer available and was not added to your cart.",
        "“Sold-out Socks” is no longer available and was not added to your cart.",
    ]


def test_merge_notes_are_shown_after_login(client, shop):
    make_user("ada")
    add(client, shop.mug, "3")
    shop.mug.stock_quantity = 2
    shop.mug.save()
    response = client.post(reverse("login"), {"login": "ada", "password": "unused-password"}, follow=True)
    assert "Only 2 of “Enamel Mug” are in stock; your cart holds 2." in response.content.decode()


def test_logging_in_without_an_anonymous_cart_keeps_the_users_cart(client, shop):
    user = make_user("ada")
    cart = Cart.objects.create(user=user)
    CartItem.objects.create(cart=cart, product=shop.lamp, quantity=2)
    client.post(reverse("login"), {"login": "ada", "password": "unused-password"})
    assert quantities(cart) == {"LAMP-1": 2}
    assert Cart.objects.count() == 1


def test_a_forged_session_cannot_point_at_a_users_cart(client, shop):
    victim = make_user("victim")
    victim_cart = Cart.objects.create(user=victim)
    CartItem.objects.create(cart=victim_cart, product=shop.lamp, quantity=2)
    session = client.session
    session[CART_SESSION_KEY] = victim_cart.pk
    session.save()
    assert client.get(reverse("cart")).context["cart"].is_empty
    assert "data-cart-count>0<" in client.get(reverse("home")).content.decode()
