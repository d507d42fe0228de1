"""A small, hand-made catalog for behaviour tests (each product has a purpose)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from store.models import AttributeDefinition, Brand, Category, Product


@dataclass
class Catalog:
    categories: dict[str, Category]
    brands: dict[str, Brand]
    products: dict[str, Product]


def add_category(path: str, name: str, parents: dict[str, Category]) -> Category:
    parent_path, _, slug = path.rpartition("/")
    if parent_path:
        node = Category.objects.add_child(parents[parent_path], {"name": name, "slug": slug})
    else:
        node = Category.objects.add_root({"name": name, "slug": slug})
    parents[path] = node
    return node


def build_catalog() -> Catalog:
    cats: dict[str, Category] = {}
    for path, name in [
        ("clothing", "Clothing"), ("clothing/tops", "Tops"), ("clothing/tops/t-shirts", "T-Shirts"),
        ("clothing/tops/sweaters", "Sweaters"), ("clothing/shoes", "Shoes"),
        ("electronics", "Electronics"), ("electronics/audio", "Audio"),
        ("electronics/audio/headphones", "Headphones"), ("electronics/phones", "Phones"),
    ]:
        add_category(path, name, cats)
    AttributeDefinition.objects.create(category=cats["clothing"], code="color", label="Color",
                                       choices=["Black", "White", "Red", "Blue"])
    AttributeDefinition.objects.create(category=cats["clothing"], code="size", label="Size",
                                       choices=["S", "M", "L"])
    AttributeDefinition.objects.create(category=cats["electronics"], code="color", label="Color",
                                       choices=["Black", "White", "Silver"])
    brands = {slug: Brand.objects.create(name=name, slug=slug) for slug, name in [
        ("acme", "Acme"), ("zephyr", "Zephyr"), ("nordic", "Nordic Wear"), ("sonix", "Sonix"),
    ]}
    rows = [
        # key, name, category, brand, price, stock, rating, sales, attributes, sku
        ("crew", "Organic Cotton Crew Neck T-Shirt", "clothing/tops/t-shirts", "acme", "19.99", 40, "4.60", 500,
         {"color": "White", "size": "M"}, "ACM-TS-1001"),
        ("vneck", "Slim V-Neck Tee", "clothing/tops/t-shirts", "zephyr", "24.00", 12, "4.10", 120,
         {"color": "Black", "size": "S"}, "ZEP-TS-2002"),
        ("graphic", "Graphic Print T-Shirt", "clothing/tops/t-shirts", "nordic", "15.50", 0, "3.20", 80,
         {"color": "Red", "size": "L"}, "NOR-TS-3003"),
        ("pocket", "Heavyweight Pocket Tee", "clothing/tops/t-shirts", "acme", "29.00", 5, "4.90", 40,
         {"color": "Blue", "size": "L"}, "ACM-TS-1004"),
        ("merino", "Merino Wool Sweater", "clothing/tops/sweaters", "nordic", "89.00", 7, "4.70", 220,
         {"color": "Blue", "size": "M"}, "NOR-SW-3101"),
        ("cardigan", "Chunky Knit Cardigan Sweater", "clothing/tops/sweaters", "zephyr", "74.50", 0, "3.90", 60,
         {"color": "Black", "size": "S"}, "ZEP-SW-2101"),
        ("runner", "Trail Running Shoes", "clothing/shoes", "acme", "119.00", 3, "4.40", 300,
         {"color": "Black", "size": "M"}, "ACM-SH-1201"),
        ("sneaker", "Canvas Sneakers", "clothing/shoes", "zephyr", "49.00", 25, "4.00", 150,
         {"color": "White", "size": "L"}, "ZEP-SH-2201"),
        ("anc", "Wireless Noise Cancelling Headphones", "electronics/audio/headphones", "sonix", "249.00", 9,
         "4.80", 900, {"color": "Black"}, "SNX-HP-4001"),
        ("buds", "Sport Earbuds", "electronics/audio/headphones", "sonix", "59.00", 0, "3.60", 200,
         {"color": "White"}, "SNX-HP-4002"),
        ("studio", "Studio Monitor Headphones", "electronics/audio/headphones", "acme", "149.00", 4, "4.50", 90,
         {"color": "Silver"}, "ACM-HP-1301"),
        ("phone", "Smartphone 128GB", "electronics/phones", "sonix", "699.00", 15, "4.20", 700,
         {"color": "Silver"}, "SNX-PH-4101"),
        ("rugged", "Rugged Phone Case Edition", "electronics/phones", "zephyr", "399.00", 2, "2.90", 30,
         {"color": "Black"}, "ZEP-PH-2301"),
        ("cafe", "Café Crème T-Shirt", "clothing/tops/t-shirts", "nordic", "21.00", 8, "4.00", 10,
         {"color": "White", "size": "S"}, "NOR-TS-3005"),
    ]
    products = {}
    for key, name, cat, brand, price, stock, rating, sales, attrs, sku in rows:
        products[key] = Product.objects.create(
            name=name, slug=key, sku=sku, description=f"{name}. A fine product from {brands[brand].name}.",
            brand=brands[brand], category=cats[cat], price=Decimal(price), stock_quantity=stock,
            rating_average=Decimal(rating), rating_count=10, sales_count=sales, attributes=attrs,
        )
    hidden = Product.objects.create(
        name="Discontinued Crew Neck T-Shirt", slug="hidden", sku="ACM-TS-0999", brand=brands["acme"],
        category=cats["clothing/tops/t-shirts"], price=Decimal("9.00"), stock_quantity=1, is_active=False,
    )
    products["hidden"] = hidden
    return Catalog(cats, brands, products)
