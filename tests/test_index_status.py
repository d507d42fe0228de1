"""The index status page of the admin: what the index holds against the database, the sync
backlog, failing documents, and a reindex started from a button that runs in the background."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from indexing.models import OutboxEntry, ReindexRun
from indexing.reindex import EngineUnreachable, run_reindex
from store.models import Brand, Category, Product, Vendor
from store.roles import ADMINISTRATOR, MERCHANDISER, assign_role
from tests.conftest import UNREACHABLE_ENGINE, sync_index

STATUS_URL = reverse("indexing:status")
START_URL = reverse("indexing:start_reindex")
PROGRESS_URL = reverse("indexing:progress")


def make_products(n: int, first: int = 0, vendor: Vendor | None = None) -> list[Product]:
    category = (Category.objects.filter(slug="lamps").first()
                or Category.objects.add_root({"name": "Lamps", "slug": "lamps"}))
    brand, _ = Brand.objects.get_or_create(name="Lumen", slug="lumen")
    return [
        Product.objects.create(name=f"Desk Lamp {i}", slug=f"lamp-{i}", sku=f"LUM-{i}", brand=brand,
                               category=category, vendor=vendor, price=Decimal("35.00") + i, stock_quantity=3)
        for i in range(first, first + n)
    ]


def make_staff(username: str, role: str | None = None) -> User:
    user = User.objects.create_user(username, password="unused-password", is_staff=True)
    if role:
        assign_role(user, role)
    return user


def wait_for_run_to_finish(client, timeout: float = 60.0) -> dict:
    """Poll the page's JSON endpoint, as the page does, until the reindex has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(PROGRESS_URL).json()["run"]
        if run and not run["running"]:
            return run
        time.sleep(0.2)
    raise AssertionError(f"the reindex did not finish in {timeout}s: {run}")


# --- What the page shows -------------------------------------------------------------------


@pytest.mark.django_db
def test_page_shows_engine_indices_counts_and_backlog(admin_client, tantivy_backend):
    make_products(3)
    sync_index()  # three products indexed...
    make_products(1, first=3)  # ...one more waiting in the outbox
    make_products(1, first=4, vendor=Vendor.objects.create(name="Gone", slug="gone", is_active=False))
    OutboxEntry.objects.update(created_at=timezone.now() - timedelta(minutes=7))

    response = admin_client.get(STATUS_URL)

    assert response.status_code == 200
    status = response.context["status"]
    assert (status.engine, status.alias) == ("tantivy", tantivy_backend.alias)
    assert status.current_index == tantivy_backend.current_index()
    assert status.indices == [tantivy_backend.current_index()]
    assert status.database_count == 4  # the product of the inactive vendor is not visible
    assert status.index_count == 3
    assert status.backlog == 2
    html = response.content.decode()
    assert tantivy_backend.current_index() in html
    assert '<td id="database-count">4</td>' in html
    assert '<td id="index-count">3</td>' in html
    assert '<span id="backlog">2</span>' in html
    assert "7\xa0minutes old" in html
    assert "No reindex has been recorded yet." in html
    assert "Reindex now" in html and "csrfmiddlewaretoken" in html


@pytest.mark.django_db
def test_failing_documents_are_listed_with_their_error_and_next_try(admin_client, tantivy_backend):
    product = make_products(1)[0]
    OutboxEntry.objects.all().delete()
    next_try = timezone.now() + timedelta(seconds=4)
    OutboxEntry.objects.create(product_id=product.pk, attempts=2, available_at=next_try,
                               last_error="mapper_parsing_exception: failed to parse field [price]")
    OutboxEntry.objects.create(product_id=product.pk + 1000)  # pending, not failing

    response = admin_client.get(STATUS_URL)

    status = response.context["status"]
    assert status.failing_count == 1 and status.backlog == 2
    assert [(e.product_id, e.attempts) for e in status.failing] == [(product.pk, 2)]
    html = response.content.decode()
    assert 'id="failing-documents"' in html
    assert reverse("admin:store_product_change", args=[product.pk]) in html
    assert "mapper_parsing_exception: failed to parse field [price]" in html
    assert next_try.strftime("%Y-%m-%d %H:%M:%S") in html


@pytest.mark.django_db
def test_page_still_renders_when_the_engine_is_unreachable(admin_client, settings):
    settings.SEARCH_ENGINE = UNREACHABLE_ENGINE
    make_products(2)

    response = admin_client.get(STATUS_URL)

    assert response.status_code == 200
    assert response.context["status"].database_count == 2
    assert "Unreachable:" in response.content.decode()


@pytest.mark.django_db
def test_admin_home_links_to_the_status_page_for_those_allowed(client, tantivy_backend):
    client.force_login(make_staff("ada", ADMINISTRATOR))
    assert STATUS_URL in client.get(reverse("admin:index")).content.decode()
    assert STATUS_URL in client.get(reverse("admin:indexing_outboxentry_changelist")).content.decode()
    client.force_login(make_staff("max", MERCHANDISER))
    assert STATUS_URL not in client.get(reverse("admin:index")).content.decode()


# --- Who may see it ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [STATUS_URL, PROGRESS_URL])
def test_page_is_for_staff_with_the_outbox_permission(client, tantivy_backend, url):
    login = reverse("admin:login")
    assert client.get(url).url.startswith(login)  # anonymous
    client.force_login(User.objects.create_user("shopper", password="unused-password"))
    assert client.get(url).url.startswith(login)  # not staff
    client.force_login(make_staff("max", MERCHANDISER))
    assert client.get(url).status_code == 403  # staff, without the permission
    client.force_login(make_staff("ada", ADMINISTRATOR))
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_non_staff_cannot_start_a_reindex(client, tantivy_backend):
    client.force_login(User.objects.create_user("shopper", password="unused-password"))
    response = client.post(START_URL)
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    client.force_login(make_staff("max", MERCHANDISER))
    assert client.post(START_URL).status_code == 403
    assert not ReindexRun.objects.exists()


@pytest.mark.django_db
def test_start_needs_post_with_a_csrf_token(tantivy_backend):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("root", password="unused-password"))
    assert client.get(START_URL).status_code == 405
    assert client.post(START_URL).status_code == 403
    assert not ReindexRun.objects.exists()


# --- The button -------------------------------------------------------------------------------


def test_button_starts_a_reindex_that_a_worker_completes(celery_worker, search_backend, client):
    products = make_products(25)
    sync_index()
    before = search_backend.current_index()
    client.force_login(User.objects.create_superuser("root", password="unused-password"))

    response = client.post(START_URL, follow=True)

    assert response.status_code == 200
    assert "started: searches keep using the current index" in response.content.decode()
    run = wait_for_run_to_finish(client)
    assert run["status"] == "succeeded", run["error"]
    assert (run["done"], run["total"], run["started_by"]) == (25, 25, "root")
    assert run["rate"] > 0
    search_backend.refresh()
    assert search_backend.current_index() == run["index_name"] != before
    assert search_backend.list_indices() == [run["index_name"]]  # the old index was dropped
    assert search_backend.count() == len(products)

    page = client.get(STATUS_URL)
    assert page.context["running"] is None
    assert page.context["status"].last_run.status == ReindexRun.Status.SUCCEEDED
    html = page.content.decode()
    assert "Last reindex" in html and "succeeded" in html and "by root" in html and "products/s" in html


@pytest.mark.django_db(transaction=True)
def test_embedded_mode_runs_the_reindex_in_a_thread_and_returns_at_once(tantivy_backend, client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: tasks would run inside the request
    make_products(12)
    sync_index()
    client.force_login(User.objects.create_superuser("root", password="unused-password"))

    response = client.post(START_URL)

    assert response.status_code == 302 and response.url == STATUS_URL
    run = wait_for_run_to_finish(client)
    assert (run["status"], run["done"]) == ("succeeded", 12), run["error"]
    assert tantivy_backend.current_index() == run["index_name"]
    assert tantivy_backend.count() == 12


@pytest.mark.django_db
def test_a_second_reindex_is_refused_while_one_runs(admin_client, tantivy_backend):
    running = ReindexRun.objects.create(engine="tantivy", total=500, done=120)
    indices = tantivy_backend.list_indices()

    response = admin_client.post(START_URL, follow=True)

    html = response.content.decode()
    assert "A reindex is already running" in html and "120 of 500 products" in html
    assert list(ReindexRun.objects.all()) == [running]
    assert response.context["running"] == running
    assert 'data-running="true"' in html and 'value="Reindex now" disabled' in html
    with pytest.raises(CommandError, match="A reindex is already running"):
        call_command("reindex", "--no-input")
    assert tantivy_backend.list_indices() == indices


@pytest.mark.django_db
def test_an_abandoned_run_does_not_block_the_next(tantivy_backend, capsys):
    make_products(4)
    dead = ReindexRun.objects.create(engine="tantivy")
    ReindexRun.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    call_command("reindex", "--no-input")

    dead.refresh_from_db()
    assert dead.status == ReindexRun.Status.FAILED and "Abandoned" in dead.error
    latest = ReindexRun.objects.first()
    assert (latest.status, latest.done, latest.started_by) == (ReindexRun.Status.SUCCEEDED, 4, "manage.py reindex")
    assert "Indexed 4 products" in capsys.readouterr().out


# --- Engine unreachable -----------------------------------------------------------------------


@pytest.mark.django_db
def test_reindex_command_fails_clearly_when_the_engine_is_unreachable(settings):
    settings.SEARCH_ENGINE = UNREACHABLE_ENGINE

    with pytest.raises(CommandError) as failure:
        call_command("reindex", "--no-input")

    assert failure.value.returncode != 0
    assert "The search engine (elasticsearch at http://127.0.0.1:9) is unreachable" in str(failure.value)


@pytest.mark.django_db
def test_a_background_reindex_records_the_unreachable_engine(settings):
    settings.SEARCH_ENGINE = UNREACHABLE_ENGINE

    with pytest.raises(EngineUnreachable):
        run_reindex()

    run = ReindexRun.objects.get()
    assert run.status == ReindexRun.Status.FAILED and run.finished_at
    assert "unreachable" in run.error
