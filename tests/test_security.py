"""Production security: deploy checks, headers and the Content-Security-Policy, escaping of
hostile catalog data and queries, CSRF, rate limits, the admin's path, secrets."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, clear_url_caches, get_resolver

from store.models import Review
from tests.catalog import build_catalog
from tests.conftest import sync_index

ROOT = Path(__file__).resolve().parent.parent
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ELASTICSEARCH_URL", "SECRET_KEY", "DEBUG",
                "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "SENTRY_DSN",
                "CACHE_KEY_PREFIX", "STATIC_CDN_URL", "METRICS_BEARER_TOKEN", "EMAIL_HOST_PASSWORD",
                # Set by tests/e2e/conftest.py for Playwright; never in a deployment.
                "DJANGO_ALLOW_ASYNC_UNSAFE")

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKER = '"><img src=x onerror=alert(1)>'
QUOTE_BREAKER = "' onmouseover='x"
PAYLOADS = (SCRIPT, ATTRIBUTE_BREAKER, QUOTE_BREAKER)


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings_production",
        SECRET_KEY=secrets.token_urlsafe(48)[:50],
        ALLOWED_HOSTS="shop.example.com",
        VAR_DIR=str(tmp_path / "var"),
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


# --- check --deploy -------------------------------------------------------------------------------


STRIPE_ENV = {"STRIPE_SECRET_KEY": "sk_live_from_the_environment", "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
              "STRIPE_WEBHOOK_SECRET": "whsec_from_the_environment"}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    out = manage(production_env(tmp_path, **STRIPE_ENV), "check", "--deploy", "--fail-level", "WARNING")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues (0 silenced)." in out.stdout


def test_check_deploy_without_stripe_names_only_the_dummy_gateway(tmp_path):
    """The bare command (SECRET_KEY and ALLOWED_HOSTS only): the sole warning is checkout's
    reminder that the dummy gateway takes no money; nothing of the security settings."""
    out = manage(production_env(tmp_path), "check", "--deploy")
    assert out.returncode == 0, out.stderr
    assert re.findall(r"\(([\w.]+)\)", out.stderr + out.stdout) == ["checkout.W002"], out.stderr + out.stdout


PROBE_RESPONSES = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="shop.example.com")
plain = client.get("/accounts/login/")
secure = client.get("/accounts/login/", secure=True)
health = client.get("/healthz")
print(json.dumps({
    "plain_status": plain.status_code, "plain_location": plain.get("Location"),
    "status": secure.status_code, "headers": dict(secure.headers),
    "csrf_cookie": {k: secure.cookies["csrftoken"][k] for k in ("secure", "httponly", "samesite")},
    "health": health.status_code,
    "session_cookie": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY],
}))
"""


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> Path:
    """Production serves hashed static names (ManifestStaticFilesStorage): collect them once."""
    root = tmp_path_factory.mktemp("static")
    out = manage(production_env(root, STATIC_ROOT=str(root)), "collectstatic", "--noinput")
    assert out.returncode == 0, out.stderr
    return root


@pytest.mark.django_db
def test_production_responses_redirect_to_https_and_send_the_security_headers(tmp_path, settings,
                                                                            collected_static):
    db = settings.DATABASES["default"]
    env = production_env(tmp_path, DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
                         STATIC_ROOT=str(collected_static))
    out = subprocess.run([sys.executable, "-c", PROBE_RESPONSES], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["plain_status"] == 301
    assert probe["plain_location"] == "https://shop.example.com/accounts/login/"
    assert probe["health"] == 200  # load balancers may probe over plain HTTP
    assert probe["status"] == 200
    headers = probe["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    policy = parse_policy(headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert probe["csrf_cookie"]["secure"] is True and probe["csrf_cookie"]["samesite"] == "Lax"
    assert probe["session_cookie"] == [True, True]


# --- Content-Security-Policy ------------------------------------------------------------------------


def parse_policy(header: str) -> dict[str, list[str]]:
    policy = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


class PageScan(HTMLParser):
    """Every tag with its attributes, and the text of every <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in_script: dict | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script":
            self._in_script, self._script_text = attributes, []

    def handle_data(self, data):
        if self._in_script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            self.scripts.append((self._in_script, "".join(self._script_text)))
            self._in_script = None


def scan(html: str) -> PageScan:
    parser = PageScan()
    parser.feed(html)
    parser.close()
    return parser


def script_allowed(attributes: dict, text: str, policy: dict[str, list[str]]) -> bool:
    """Would a browser run this <script> under the policy?"""
    sources = policy["script-src"]
    if attributes.get("type") == "application/json":
        return True  # a data block, never executed
    if "src" in attributes:
        src = attributes["src"]
        return src.startswith("/") and not src.startswith("//") or any(
            src.startswith(s) for s in sources if s.startswith("https://"))
    if attributes.get("nonce") and f"'nonce-{attributes['nonce']}'" in sources:
        return True
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'" in sources


@pytest.mark.django_db
def test_the_reactive_search_page_runs_under_the_policy(client, tantivy_backend):
    build_catalog()
    sync_index()
    response = client.get("/search", {"q": "shirt"})
    assert response.status_code == 200
    html = response.content.decode()
    policy = parse_policy(response["Content-Security-Policy"])
    page = scan(html)
    assert 'unicorn:id="' in html, "the page renders a django-unicorn component"
    assert page.scripts, "the page has scripts"
    for attributes, text in page.scripts:
        assert script_allowed(attributes, text, policy), (attributes, text)
    # Unicorn starts from a same-origin file, not an inline Unicorn.init(...).
    assert any(a.get("src", "").endswith("js/unicorn-init.js") for a, _ in page.scripts)
    assert not any("Unicorn.init" in text for _, text in page.scripts)
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs), "inline handlers"
    # Unicorn's requests go to this origin with the CSRF cookie, which its JavaScript reads.
    assert "'self'" in policy["connect-src"]
    assert "'unsafe-eval'" not in policy["script-src"] and "'unsafe-inline'" not in policy["script-src"]


def test_the_policy_lets_stripe_elements_load_and_frame(client):
    policy = parse_policy(client.get("/healthz")["Content-Security-Policy"])
    assert "https://js.stripe.com" in policy["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(policy["frame-src"])
    assert "https://api.stripe.com" in policy["connect-src"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def test_inline_scripts_with_the_request_nonce_are_allowed(rf):
    """Templates may add an inline script with nonce="{{ CSP_NONCE }}": the header then names it."""
    from django.template import engines

    template = engines["django"].from_string('<script nonce="{{ CSP_NONCE }}">window.x = 1;</script>')
    from csp.middleware import CSPMiddleware

    def view(request):
        from django.http import HttpResponse

        return HttpResponse(template.render({}, request))

    request = rf.get("/")
    response = CSPMiddleware(view)(request)
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in parse_policy(response["Content-Security-Policy"])["script-src"]


# --- Hostile data is inert ---------------------------------------------------------------------------


def assert_inert(html: str) -> None:
    """No payload became markup: no element or attribute of its making. (A raw ' is harmless in
    text and in double-quoted attributes, where django-unicorn's lxml serializer leaves it.)"""
    for payload in (SCRIPT, ATTRIBUTE_BREAKER):
        assert payload not in html, payload
    page = scan(html)
    assert not [(tag, a) for tag, a in page.tags for name in a if name.startswith("on")], "event handler"
    assert not [a for tag, a in page.tags if tag == "img" and a.get("src") == "x"], "injected <img>"
    code = [text for attributes, text in page.scripts if attributes.get("type") != "application/ld+json"]
    assert not [text for text in code if "alert(1)" in text], "injected <script>"
    # JSON-LD is a data block, never run: it may quote a hostile name, but only as JSON whose
    # text cannot close the script or open a tag.
    for attributes, text in page.scripts:
        if attributes.get("type") == "application/ld+json":
            json.loads(text)
            assert "<" not in text and ">" not in text, text


@pytest.fixture
def hostile_catalog(search_backend):
    """The test catalog with payloads in every shopper-visible field, indexed."""
    catalog = build_catalog()
    tees = catalog.categories["clothing/tops/t-shirts"]
    tees.name = f"Tees {SCRIPT}"
    tees.save()
    brand = catalog.brands["acme"]
    brand.name = f"Acme {ATTRIBUTE_BREAKER}"
    brand.save()
    crew = catalog.products["crew"]
    crew.name = f"Crew {SCRIPT} {QUOTE_BREAKER}"
    crew.description = f"Soft. {ATTRIBUTE_BREAKER}\n\n{SCRIPT} {QUOTE_BREAKER}"
    crew.attributes = {"color": ATTRIBUTE_BREAKER, "size": QUOTE_BREAKER}
    crew.save()
    author = User.objects.create_user("reviewer", password="unused-password")
    Review.objects.create(product=crew, author=author, rating=5, status=Review.Status.APPROVED,
                          title=f"{SCRIPT} {ATTRIBUTE_BREAKER}", body=f"{QUOTE_BREAKER}\n{SCRIPT}")
    sync_index()
    crew.refresh_from_db()
    return catalog


@pytest.mark.django_db
def test_hostile_catalog_data_is_escaped_on_every_page(client, hostile_catalog):
    pages = {
        "home": "/",
        "category": "/c/clothing/tops/t-shirts/",
        "category filtered": f"/c/clothing/?attr_color={ATTRIBUTE_BREAKER}",
        "product": "/p/crew/",
        "search": "/search?q=crew",
        "suggest": "/search/suggest?q=cre",
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        assert_inert(html)
        if name in ("home", "category", "product", "search"):
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name  # shown, as text
    product_page = client.get("/p/crew/").content.decode()
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in product_page  # the attribute value, as text
    assert "&#x27; onmouseover=&#x27;x" in product_page  # the description and review body
    # Served again from the fragment cache: still escaped.
    assert_inert(client.get("/p/crew/").content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("query", PAYLOADS)
def test_hostile_search_queries_are_escaped(client, hostile_catalog, query):
    for url in ("/search", "/c/clothing/", "/search/suggest"):
        response = client.get(url, {"q": query})
        assert response.status_code == 200, url
        assert_inert(response.content.decode())
    api = client.get("/api/search", {"q": query})
    assert_inert_json(api)
    assert api.json()["query"]["q"] == query.strip()  # data, intact: the client escapes it
    assert_inert_json(client.get("/api/autocomplete", {"q": query}))


def assert_inert_json(response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    body = response.content
    # A JSON response mistakenly injected into a page still cannot open a tag.
    assert b"<" not in body and b">" not in body


@pytest.mark.django_db
def test_the_search_api_returns_hostile_names_as_data_not_markup(client, hostile_catalog):
    response = client.get("/api/search", {"q": "crew"})
    assert_inert_json(response)
    names = [hit["name"] for hit in response.json()["hits"]]
    assert f"Crew {SCRIPT} {QUOTE_BREAKER}" in names  # intact for the client, which escapes it
    suggestions = client.get("/api/autocomplete", {"q": "cre"})
    assert_inert_json(suggestions)


# --- CSRF ----------------------------------------------------------------------------------------


def all_views(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from all_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_view_skips_csrf_but_the_two_that_must():
    """Stripe's webhook (authenticated by its signature) and the search-click beacon
    (navigator.sendBeacon cannot send the token; a forged click adds one analytics row,
    and its POSTs are rate-limited). Besides, the read-only JSON API, which answers any
    other method than GET/HEAD with 405 (the CSRF check would make it a 403 the API's
    schema does not promise): nothing there a forged request could change."""
    exempt = {route for route, view in all_views() if getattr(view, "csrf_exempt", False)}
    assert exempt == {"checkout/stripe/webhook/", "search/click", "api/search", "api/autocomplete"}
    client = Client(enforce_csrf_checks=True)
    for route in ("/api/search", "/api/autocomplete"):
        assert client.post(route, {"q": "x"}).status_code == 405


@pytest.mark.django_db
def test_state_changing_requests_without_the_token_are_refused(tantivy_backend):
    catalog = build_catalog()
    product = catalog.products["crew"]
    User.objects.create_user("shopper", password="a-long-password-1")
    client = Client(enforce_csrf_checks=True)
    anonymous_posts = {
        "/accounts/login/": {"login": "shopper", "password": "a-long-password-1"},
        "/accounts/signup/": {"username": "new", "email": "n@example.com", "password1": "x" * 12,
                              "password2": "x" * 12},
        "/cart/add/": {"product": product.pk, "quantity": 1},
        "/unicorn/message/search-page": {},
    }
    for url, data in anonymous_posts.items():
        assert client.post(url, data).status_code == 403, url
    client.force_login(User.objects.get(username="shopper"))
    for url, data in {f"/p/{product.slug}/": {"rating": 5, "title": "t", "body": "b"},
                      "/accounts/logout/": {}, "/checkout/": {}}.items():
        assert client.post(url, data).status_code == 403, url
    assert not Review.objects.exists()


# --- Rate limits ------------------------------------------------------------------------------------


def new_client_address() -> str:
    """A documentation-range IPv6 address nobody else's test uses (the counters live in Redis)."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


@pytest.fixture
def limits(settings):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMIT_RULES = [
        {"name": "autocomplete", "prefixes": ["/api/autocomplete", "/search/suggest"], "rate": "4/60"},
        {"name": "search", "prefixes": ["/search", "/api/search"], "rate": "3/60"},
        {"name": "login", "prefixes": ["/accounts/login/"], "methods": ["POST"], "keys": ["ip", "username"],
         "rate": "3/300"},
        {"name": "signup", "prefixes": ["/accounts/signup/"], "methods": ["POST"], "rate": "2/3600"},
    ]
    return settings


@pytest.mark.django_db
def test_search_is_limited_per_client_with_429_and_retry_after(client, limits, tantivy_backend):
    address = new_client_address()
    statuses = [client.get("/api/search", {"q": "x"}, REMOTE_ADDR=address).status_code for _ in range(3)]
    assert 429 not in statuses
    refused = client.get("/search", {"q": "x"}, REMOTE_ADDR=address)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    api_refused = client.get("/api/search", {"q": "x"}, REMOTE_ADDR=address)
    assert api_refused.status_code == 429 and api_refused.json()["retry_after"] >= 1
    # Autocomplete has its own budget; another shopper has theirs.
    assert client.get("/api/autocomplete", {"q": "sh"}, REMOTE_ADDR=address).status_code == 200
    assert client.get("/api/search", {"q": "x"}, REMOTE_ADDR=new_client_address()).status_code == 200
    # Pages other than search are not limited.
    assert client.get("/healthz", REMOTE_ADDR=address).status_code == 200


@pytest.mark.django_db
def test_autocomplete_is_limited(client, limits, tantivy_backend):
    address = new_client_address()
    for _ in range(4):
        assert client.get("/search/suggest", {"q": "sh"}, REMOTE_ADDR=address).status_code == 200
    refused = client.get("/api/autocomplete", {"q": "sh"}, REMOTE_ADDR=address)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1


@pytest.mark.django_db
def test_behind_the_proxy_each_shopper_is_counted_by_the_address_nginx_saw(client, limits, tantivy_backend):
    limits.TRUSTED_PROXIES = ["10.0.0.5"]  # nginx's address (docker-compose.yml)
    shopper, other = new_client_address(), new_client_address()
    for spoofed in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        # nginx appends the address it saw; what the client wrote before it does not count.
        forwarded = f"{spoofed}, {shopper}"
        response = client.get("/api/search", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
        assert response.status_code == 200
    assert client.get("/api/search", REMOTE_ADDR="10.0.0.5",
                      HTTP_X_FORWARDED_FOR=f"203.0.113.9, {shopper}").status_code == 429
    assert client.get("/api/search", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=other).status_code == 200


@pytest.mark.django_db
def test_login_is_limited_per_address_and_per_user_name(client, limits):
    # Names of this run only: the counters outlive the test's database transaction.
    victim, someone = f"victim-{uuid.uuid4().hex[:8]}", f"someone-{uuid.uuid4().hex[:8]}"
    User.objects.create_user(victim, password="the-right-password-1")
    attacker = new_client_address()
    for attempt in range(3):
        response = client.post("/accounts/login/", {"login": victim, "password": f"guess-{attempt}"},
                               REMOTE_ADDR=attacker)
        assert response.status_code == 200  # the form again, with an error
    refused = client.post("/accounts/login/", {"login": victim, "password": "the-right-password-1"},
                          REMOTE_ADDR=attacker)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    # From another address, the same user name is limited too (a botnet spreads over addresses)…
    assert client.post("/accounts/login/", {"login": victim.upper(), "password": "x"},
                       REMOTE_ADDR=new_client_address()).status_code == 429
    # …while another user signs in, and the login page itself is always shown.
    User.objects.create_user(someone, password="another-password-2")
    ok = client.post("/accounts/login/", {"login": someone, "password": "another-password-2"},
                     REMOTE_ADDR=new_client_address())
    assert ok.status_code == 302
    client.logout()  # allauth sends a logged-in visitor on from the login page
    assert client.get("/accounts/login/", REMOTE_ADDR=attacker).status_code == 200


@pytest.mark.django_db
def test_signup_is_limited(client, limits):
    address = new_client_address()
    for i in range(2):
        data = {"username": f"bot{i}", "email": f"bot{i}@example.com", "password1": "pw-long-enough-1",
                "password2": "pw-long-enough-1"}
        assert client.post("/accounts/signup/", data, REMOTE_ADDR=address).status_code in (200, 302)
        client.logout()
    data = {"username": "bot9", "email": "bot9@example.com", "password1": "pw-long-enough-1",
            "password2": "pw-long-enough-1"}
    assert client.post("/accounts/signup/", data, REMOTE_ADDR=address).status_code == 429
    assert not User.objects.filter(username="bot9").exists()


def test_limits_are_on_by_default_outside_the_tests(tmp_path):
    probe = ("import json, django; django.setup(); from django.conf import settings; "
             "print(json.dumps([settings.RATELIMIT_ENABLED, [r['name'] for r in settings.RATELIMIT_RULES]]))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=production_env(tmp_path),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    enabled, names = json.loads(out.stdout)
    assert enabled and {"search", "autocomplete", "login", "signup"} <= set(names)


# --- The admin's path ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_answers_only_at_admin_url(client):
    import config.urls

    try:
        with override_settings(ADMIN_URL="backoffice-4f2a/"):
            importlib.reload(config.urls)
            clear_url_caches()
            response = client.get("/backoffice-4f2a/")
            assert response.status_code == 302 and response["Location"].startswith("/backoffice-4f2a/login/")
            assert client.get("/backoffice-4f2a/login/").status_code == 200
            assert client.get("/admin/").status_code == 404
    finally:
        importlib.reload(config.urls)
        clear_url_caches()
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("admin_url", ["/admin/", "admin", ""])
def test_a_malformed_admin_url_is_a_system_check_error(settings, admin_url):
    settings.ADMIN_URL = admin_url
    assert "ops.E001" in [message.id for message in run_checks()]


# --- Secrets only from the environment ---------------------------------------------------------------


SECRETS_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in (
    "SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "EMAIL_HOST_PASSWORD",
    "METRICS_BEARER_TOKEN", "SENTRY_DSN")}
    | {"db_password": settings.DATABASES["default"].get("PASSWORD", "")}))
"""


def test_secrets_come_only_from_the_environment(tmp_path):
    empty = subprocess.run([sys.executable, "-c", SECRETS_PROBE], cwd=ROOT, env=production_env(tmp_path),
                           capture_output=True, text=True, timeout=60)
    assert empty.returncode == 0, empty.stderr
    values = json.loads(empty.stdout)
    assert len(values.pop("SECRET_KEY")) == 50  # the one we passed
    assert set(values.values()) == {""}, values  # no secret has a default in the code
    given = {"STRIPE_SECRET_KEY": "sk_env", "STRIPE_WEBHOOK_SECRET": "whsec_env",
             "EMAIL_HOST_PASSWORD": "mail-env", "METRICS_BEARER_TOKEN": "metrics-env",
             "DATABASE_URL": "postgres://u:db-env@127.0.0.1:5432/x"}
    out = subprocess.run([sys.executable, "-c", SECRETS_PROBE], cwd=ROOT,
                         env=production_env(tmp_path, **given), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    values = json.loads(out.stdout)
    assert values["STRIPE_SECRET_KEY"] == "sk_env" and values["STRIPE_WEBHOOK_SECRET"] == "whsec_env"
    assert values["EMAIL_HOST_PASSWORD"] == "mail-env" and values["METRICS_BEARER_TOKEN"] == "metrics-env"
    assert values["db_password"] == "db-env"

