"""Production settings: the same environment-driven settings, but refusing to
start with DEBUG on or the embedded default secret key."""

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F401,F403
from .settings import DEFAULT_SECRET_KEY, LOGGING, MEDIA_STORAGE_BACKEND, env

DEBUG = env.bool("DEBUG", default=False)
# nginx (or the bucket) serves uploaded media, not Django.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=False)
SECRET_KEY = env("SECRET_KEY", default=DEFAULT_SECRET_KEY)
if DEBUG:
    raise ImproperlyConfigured("Production settings refuse to run with DEBUG on.")
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("Production settings need SECRET_KEY set to a random value of 32+ characters.")

STORAGES = {
    "default": {"BACKEND": MEDIA_STORAGE_BACKEND},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True

# JSON log lines unless LOG_FORMAT=plain (settings.py chose before DEBUG was forced off).
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
