"""The click endpoint of the search analytics (included by config/urls.py)."""

from django.urls import path

from search.analytics import views as analytics_views

urlpatterns = [
    path("search/click", analytics_views.click, name="search_click"),
]
