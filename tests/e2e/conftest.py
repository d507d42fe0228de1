"""Browser tests: Playwright driving Debian's chromium against the storefront
served on loopback (pytest-django's live server), on the embedded tantivy engine.

Skipped, with the reason, only where chromium or Playwright is not installed
(`make test` installs chromium with apt where it can)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from search.backends import get_backend
from tests.catalog import build_catalog
from tests.conftest import engine_config, restore_roles, sync_index

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: a journey in a real browser (tests/e2e)")


# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def shop(live_server, transactional_db, settings, tmp_path):
    """A live storefront with the small behaviour catalog indexed on tantivy."""
    settings.SEARCH_ENGINE = engine_config("tantivy", tmp_path, None)
    settings.CELERY_TASK_ALWAYS_EAGER = True  # index updates in-process, as in embedded mode
    from config.celery import app

    app.conf.task_always_eager = True
    restore_roles()
    get_backend().ensure_index()
    catalog = build_catalog()
    sync_index()
    yield live_server.url, catalog
    from search.analytics.recorder import flush_analytics

    # The searches' analytics events are written (eagerly, by their thread) before the tables are emptied.
    flush_analytics()
    app.conf.task_always_eager = False


def _context(browser, javascript: bool):
    return browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 800})


@pytest.fixture
def page(browser):
    context = _context(browser, javascript=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_js(browser):
    context = _context(browser, javascript=False)
    yield context.new_page()
    context.close()


class Screenshots:
    """Numbered screenshots of each step, kept as test artefacts."""

    def __init__(self, name: str) -> None:
        self.dir = ARTIFACTS / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.step = 0

    def __call__(self, page, label: str) -> Path:
        self.step += 1
        path = self.dir / f"{self.step:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def shots(request):
    return Screenshots(request.node.name.replace("[", "-").replace("]", ""))
