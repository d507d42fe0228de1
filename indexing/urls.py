"""Index status pages, mounted under the admin URL (``<admin>/indexing/``) by config/urls.py."""

from django.urls import path

from . import views

app_name = "indexing"

urlpatterns = [
    path("status/", views.status_page, name="status"),
    path("status/reindex/", views.start_reindex_view, name="start_reindex"),
    path("status/progress/", views.progress, name="progress"),
]
