"""Product changes reach the index through a real Celery worker on Redis."""

import time
from decimal import Decimal

from search.request import SearchRequest
from search.services import search_products
from store.models import Brand, Category, Product


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def found(backend, text: str) -> list[str]:
    backend.refresh()
    return [h.name for h in search_products(SearchRequest(text=text)).hits]


def test_edit_reaches_the_index_through_the_worker(celery_worker, search_backend):
    category = Category.objects.add_root({"name": "Garden", "slug": "garden"})
    brand = Brand.objects.create(name="Verdant", slug="verdant")
    product = Product.objects.create(name="Copper Watering Can", slug="can", sku="VER-1", brand=brand,
                                     category=category, price=Decimal("30.00"), stock_quantity=4)
    assert wait_for(lambda: found(search_backend, "watering can") == ["Copper Watering Can"])

    product.name = "Brass Watering Can"
    product.save()
    assert wait_for(lambda: found(search_backend, "brass") == ["Brass Watering Can"])

    Product.objects.filter(pk=product.pk).update(is_active=False)  # bulk update path
    assert wait_for(lambda: found(search_backend, "watering can") == [])
    assert search_backend.get_document(product.pk) is None
