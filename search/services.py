"""The entry point views use: run a validated search request on the configured engine."""

from search.backends import get_backend
from search.request import SearchRequest, SearchResult


def search_products(request: SearchRequest) -> SearchResult:
    return get_backend().search(request)
