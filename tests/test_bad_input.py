"""Bad input is a clear 400, never a 500: a NUL character (which PostgreSQL text cannot hold)
anywhere in the path, a query parameter or a form field is refused by
ops.input_guard.RejectNulMiddleware before any view runs."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from ops.input_guard import NUL_MESSAGE
from store.models import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(tantivy_backend):
    return Category.objects.add_root(instance=Category(name="Kitchen", slug="kitchen"))


def assert_refused_page(response) -> None:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "We couldn’t read that request" in page and "NUL character (%00)" in page


def test_a_nul_in_a_category_path_is_a_400(client, category):
    assert client.get("/c/kitchen/").status_code != 400  # the same page without the NUL is served
    assert_refused_page(client.get("/c/abc%00def/"))
    assert_refused_page(client.get("/c/kitchen%00/"))


def test_a_nul_in_an_admin_filter_is_a_400(client):
    client.force_login(User.objects.create_superuser("root", password="unused-password"))
    changelist = reverse("admin:store_product_changelist")
    assert client.get(changelist, {"name": "Pan"}).status_code == 200
    assert_refused_page(client.get(changelist + "?name=%00"))
    assert_refused_page(client.get(changelist + "?q=pan%00"))


def test_a_nul_in_the_search_text_or_a_parameter_name_is_a_400(client):
    assert_refused_page(client.get("/search?q=%00"))
    assert_refused_page(client.get("/search?q=cast%00iron"))
    assert_refused_page(client.get("/search?brand%00=x"))


def test_a_nul_in_an_api_query_is_a_json_400(client):
    for url in ("/api/search?q=pan%00", "/api/autocomplete?q=%00", "/api/search?sort=%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json() == {"error": NUL_MESSAGE}


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_nul_in_a_form_field_is_a_400(client, encoding):
    data = {"login": "ada\x00", "password": "unused-password"}
    if encoding == "urlencoded":
        response = client.post(reverse("login"), "login=ada%00&password=x",
                               content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(reverse("login"), data)  # the test client's default: multipart
    assert_refused_page(response)
    assert "_auth_user_id" not in client.session


def test_a_nul_in_a_form_field_name_or_a_cart_form_is_a_400(client):
    assert_refused_page(client.post(reverse("cart_add"), {"product": "1\x00", "quantity": "1"}))
    assert_refused_page(client.post(reverse("cart_add"), {"product\x00": "1", "quantity": "1"}))


def test_input_without_a_nul_is_untouched(client, category):
    # Other odd input keeps its own, specific answers.
    assert client.get("/c/no-such-category/").status_code == 404
    assert client.get("/api/search?page=abc").status_code == 400
    assert client.post(reverse("login"), {"login": "ada", "password": "wrong"}).status_code == 200
