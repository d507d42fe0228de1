from django.urls import path

from . import views

urlpatterns = [
    # No trailing slash: the header form has always sent shoppers to /search?q=…
    path("search", views.search_page, name="search"),
    # A category page is the search scoped to the category's subtree.
    path("c/<path:slug_path>/", views.category_page, name="category"),
    path("search/suggest", views.suggest, name="search-suggest"),
    path("api/search", views.api_search, name="api-search"),
    path("api/autocomplete", views.api_autocomplete, name="api-autocomplete"),
    path("api/schema", views.api_schema, name="api-schema"),
]
