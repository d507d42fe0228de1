import re

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path
from django.views.static import serve

from store.admin import view_on_site
from store.sitemaps import SITEMAPS

from . import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # An index of sitemap pages of 10,000 addresses each (store/sitemaps.py): one query a page.
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
         name="sitemap"),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
    path("readyz", health.readyz, name="readyz"),
    # The index status page lives in the admin (before admin.site.urls, which would 404 it).
    path(f"{settings.ADMIN_URL}indexing/", include("indexing.urls")),
    # "View on site", restricted to what the user may see in the admin (before admin.site.urls,
    # whose own shortcut answers for any object).
    path(f"{settings.ADMIN_URL}r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site),
         name="view_on_site"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("accounts/", include("store.account_urls")),
    path("unicorn/", include("django_unicorn.urls")),
    path("", include("search.web.urls")),
    path("", include("search.analytics.urls")),
    path("", include("checkout.urls")),
    path("", include("store.urls")),
]


def media(request, path: str):
    """Uploaded media from MEDIA_ROOT (read per request: tests point it elsewhere)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.SERVE_MEDIA:
    urlpatterns += [re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", media)]
