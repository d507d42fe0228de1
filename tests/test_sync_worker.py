"""Product changes reach the index through a real Celery worker on Redis."""

from decimal import Decimal

from search.query.request import SearchRequest
from search.services import search_products
from store.models import Brand, Category, Product
from tests.conftest import wait_for


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


def test_stock_to_zero_changes_the_availability_facet(celery_worker, search_backend):
    category = Category.objects.add_root({"name": "Garden", "slug": "garden"})
    brand = Brand.objects.create(name="Verdant", slug="verdant")
    products = [
        Product.objects.create(name=f"Terracotta Pot {i}", slug=f"pot-{i}", sku=f"VER-P{i}", brand=brand,
                               category=category, price=Decimal("12.00"), stock_quantity=3)
        for i in range(3)
    ]

    def in_stock_count() -> int:
        search_backend.refresh()
        result = search_products(SearchRequest(category="garden"))
        facet = next(f for f in result.facets if f.name == "availability")
        return facet.values[0].count if facet.values else 0

    assert wait_for(lambda: in_stock_count() == 3)
    # A sale takes the last units: the checkout's stock path is a QuerySet.update().
    Product.objects.filter(pk=products[0].pk).update(stock_quantity=0)
    assert wait_for(lambda: in_stock_count() == 2)
    assert search_products(SearchRequest(category="garden", selected={"availability": True})).total == 2
