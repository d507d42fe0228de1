"""Test settings: the real services of this machine (PostgreSQL, Redis) unless
the environment names others."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/catalog")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
# Test runs on other databases share this Redis: one key namespace per database, inherited
# by the Celery workers the tests start (they copy the environment).
os.environ.setdefault("CACHE_KEY_PREFIX", "test-" + os.environ["DATABASE_URL"].rsplit("/", 1)[-1])

from .settings import *  # noqa: E402,F401,F403
from .settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 0

# Caches of database reads that a test's rollback would leave behind for the next test
# (the listing caches are keyed by the test's own index, the product fragments by updated_at).
# tests/test_caching.py turns them on where it tests them.
CATEGORY_MENU_CACHE_SECONDS = 0
HOME_FEATURED_CACHE_SECONDS = 0
# Every test client is 127.0.0.1; tests/test_security.py turns the limits on with its own addresses.
RATELIMIT_ENABLED = False

# Uploads and the demo pictures in a directory of this database's test runs (drawn once, reused).
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"catalog-test-media-{os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}"
