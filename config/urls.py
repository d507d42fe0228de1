from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from store.admin import view_on_site

from . import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
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
