"""Settings, all read from the environment (12-factor).

With nothing set the project runs *embedded*: SQLite and the tantivy index under
``var/``, a local-memory cache and index updates applied in-process. Each of
``DATABASE_URL``, ``REDIS_URL``, ``CELERY_BROKER_URL`` and ``ELASTICSEARCH_URL``
switches one part to the real service.
"""

from pathlib import Path

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
    "treebeard",
    "django_elasticsearch_dsl",
    "django_unicorn",
    "store",
    "search",
    "indexing",
    "checkout",
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
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
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
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
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
SEARCH_ENGINE = {
    "ENGINE": "elasticsearch" if ELASTICSEARCH_URL else "tantivy",
    "INDEX_NAME": env("SEARCH_INDEX_NAME", default="products"),
    # tantivy: index directories live here; a pointer file names the current one.
    "PATH": env("TANTIVY_PATH", default=str(VAR_DIR / "search")),
    "URL": ELASTICSEARCH_URL,
    # osmem-server (tests) rejects the compatibility media type of the ES 9 client.
    "PLAIN_JSON": env.bool("ELASTICSEARCH_PLAIN_JSON", default=False),
    "TIMEOUT": env.float("ELASTICSEARCH_TIMEOUT", default=10.0),
    # tantivy: how long a write waits for another process's writer lock.
    "WRITER_WAIT_SECONDS": env.float("TANTIVY_WRITER_WAIT", default=15.0),
}
# Longest pause between retries of a drain while the engine is down.
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=300)
# django-elasticsearch-dsl only declares the mapping: we build the client
# ourselves (search.backends.elasticsearch.build_client) and sync via the outbox.
ELASTICSEARCH_DSL = {}
ELASTICSEARCH_DSL_AUTOSYNC = False
ELASTICSEARCH_DSL_AUTO_REFRESH = False
ELASTICSEARCH_DSL_SIGNAL_PROCESSOR = "django_elasticsearch_dsl.signals.BaseSignalProcessor"

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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = env("STATIC_URL", default="/static/")
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

SHOP_CURRENCY = env("SHOP_CURRENCY", default="USD")
ADMIN_URL = env("ADMIN_URL", default="admin/")

LOGGING = {
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
from decimal import Decimal  # noqa: E402

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Tests point the official SDK at a local fake; production leaves the default.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="stripe" if STRIPE_SECRET_KEY else "dummy")
# Sales tax on the goods (not on shipping), as a fraction: 0.08 is 8 %.
TAX_RATE = Decimal(env.str("TAX_RATE", default="0.08"))
# code → label and cost, in SHOP_CURRENCY; the first one is preselected.
SHIPPING_METHODS = {
    "standard": {"label": "Standard delivery (3–5 business days)", "cost": Decimal("4.99")},
    "express": {"label": "Express delivery (1–2 business days)", "cost": Decimal("14.99")},
}
# Unpaid orders hold stock; after this long they are cancelled (cancel_unpaid_orders).
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=24 * 60)
CELERY_BEAT_SCHEDULE["cancel-unpaid-orders"] = {
    "task": "checkout.tasks.cancel_unpaid_orders",
    "schedule": 15 * 60.0,
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Catalog <orders@localhost>")
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
