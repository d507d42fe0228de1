"""The shop's facets, declared once. Every layer iterates this tuple: the request parser,
both compilers, the listing and its reactive component, the API and its schema, the
analytics record and the merchandisers' facet curation. Adding a facet is one entry here
(and a document field, if the index does not hold it yet); the order is the sidebar's.
"""

from __future__ import annotations

from store.models import AttributeDefinition, Brand, Category, Vendor

from .kinds import AttributeFacet, AvailabilityFacet, CategoryFacet, PriceFacet, RatingFacet, TermsFacet


def _category_names() -> dict[str, str]:
    return dict(Category.objects.values_list("slug_path", "name"))


def _brand_names() -> dict[str, str]:
    return dict(Brand.objects.values_list("slug", "name"))


def _vendor_names() -> dict[str, str]:
    return dict(Vendor.objects.values_list("slug", "name"))


def _attribute_titles(paths: tuple[str, ...]) -> dict[str, str]:
    definitions = AttributeDefinition.objects.filter(category__slug_path__in=paths).order_by("category__depth", "id")
    return {d.code: d.label for d in definitions}


FACETS = (
    CategoryFacet(labels=_category_names, label_models=(Category,)),
    TermsFacet("brand", "Brand", field="brand_slug", param="brand", echo_key="brands", noun="brand",
               labels=_brand_names, label_models=(Brand,), autocomplete_size=4),
    PriceFacet(),
    RatingFacet(),
    AvailabilityFacet(),
    AttributeFacet(definitions=_attribute_titles, label_models=(AttributeDefinition, Category)),
    # Shown only where the results hold products of several vendors.
    TermsFacet("vendor", "Sold by", field="vendor", param="vendor", echo_key="vendors", noun="vendor",
               labels=_vendor_names, label_models=(Vendor,), min_values=2),
)
