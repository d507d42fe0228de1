# Production image of the catalog storefront. One image, three roles:
#   web     gunicorn (default command)
#   worker  celery -A config worker
#   beat    celery -A config beat
# See deploy/README.md and docker-compose.yml.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# --- build: a virtualenv holding the pinned dependencies and the project -----
FROM base AS build
RUN python -m venv "$VIRTUAL_ENV"
WORKDIR /src
# Dependencies first, from the lock file (`make lock` writes it from pyproject.toml: every
# package, direct or not, at one version with its hashes), so this layer is rebuilt only when
# the lock changes and two builds install the same versions. Every dependency ships a
# manylinux wheel: no compiler needed.
COPY pyproject.toml requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY . .
# The project itself; its dependencies are all installed above.
RUN pip install --no-deps .

# --- runtime ------------------------------------------------------------------
FROM base AS runtime
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home \
        --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# The source tree stays owned by root (read-only for the app user). The
# processes run from /app (PYTHONPATH) rather than from the installed copy in
# site-packages, because templates/ and static/ live at the repository root,
# next to the packages, and settings.BASE_DIR is derived from config/.
COPY . .
ENV DJANGO_SETTINGS_MODULE=config.settings_production \
    PYTHONPATH=/app \
    STATIC_ROOT=/app/staticfiles \
    VAR_DIR=/app/var

# Hashed static files (ManifestStaticFilesStorage) are collected at build time
# into /app/staticfiles: the web process needs staticfiles.json at run time.
# The secret below is a build-only dummy: it is set for this one command and
# is not stored in the image's environment.
RUN mkdir -p /app/var /srv/static \
 && DEBUG=0 SECRET_KEY=build-only-dummy-secret-key-never-used-at-runtime-0000 \
        python manage.py collectstatic --noinput \
 && chown -R app:app /app/var /srv/static

USER app
EXPOSE 8000
# Liveness of the web role; docker-compose.yml overrides it for worker/beat.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]
CMD ["gunicorn", "--config", "/app/deploy/gunicorn.conf.py", "config.wsgi:application"]
