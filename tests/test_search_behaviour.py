"""One behaviour suite, run against each engine (tantivy and Elasticsearch via osmem)."""

from decimal import Decimal

import pytest

from search.facets import facet_for, parse_request
from search.facets.kinds import AttributeFacet, TermsFacet
from search.query.request import MAX_RESULT_WINDOW, InvalidSearchRequest, SearchRequest
from search.services import search_products
from store.models import AttributeDefinition, Product
from tests.conftest import sync_index

pytestmark = pytest.mark.django_db


def names(result) -> list[str]:
    return [h.name for h in result.hits]


def search(**kwargs):
    return search_products(SearchRequest(page_size=50, **kwargs))


def test_index_holds_exactly_the_visible_products(catalog, search_backend):
    assert search_backend.count() == Product.objects.visible().count() == 14
    assert search_backend.get_document(catalog.products["hidden"].pk) is None
    doc = search_backend.get_document(catalog.products["crew"].pk)
    assert doc["name"] == "Organic Cotton Crew Neck T-Shirt"


@pytest.mark.parametrize(("text", "first"), [
    ("crew neck t-shirt", "crew"),
    ("merino sweater", "merino"),
    ("noise cancelling headphones", "anc"),
    ("headphnes wireless", "anc"),  # typo
    ("sweter merino", "merino"),  # typo
    ("SNX-HP-4001", "anc"),  # exact SKU
    ("snx-ph", "phone"),  # SKU prefix
    ("cafe creme", "cafe"),  # accents folded
    ("running shoes", "runner"),  # stemming
])
def test_relevance_puts_the_intended_product_first(catalog, text, first):
    result = search(text=text)
    assert result.hits, f"no result for {text!r}"
    assert result.hits[0].id == catalog.products[first].pk, names(result)


def test_a_word_the_index_knows_is_never_typo_expanded_into_another(catalog):
    # "case" is one edit from "cafe" (Café Crème T-Shirt); the shop sells a case: that is what was meant.
    assert names(search(text="case")) == ["Rugged Phone Case Edition"]
    # Known in any searched field (here "fine", in every description): still not fuzzed into "fina…"-likes.
    assert search(text="sweater").total == Product.objects.visible().filter(name__icontains="sweater").count()


def test_a_typo_never_changes_the_first_letter(catalog):
    # "base" is one edit from "case", at its first letter: not a typo of it; "cqse" is.
    assert search(text="base").total == 0
    assert names(search(text="cqse")) == ["Rugged Phone Case Edition"]


def test_a_short_word_is_never_fuzzed_into_another(catalog):
    # Three letters have no typo budget: "caf" is neither "cafe" nor "case".
    assert search(text="caf").total == 0


def test_a_typo_in_a_long_word_still_finds_its_product(catalog):
    # Eight letters and more may hold two typos ("ph" typed "f").
    assert {"Wireless Noise Cancelling Headphones", "Studio Monitor Headphones"} <= set(names(search(text="headfones")))


def test_a_typo_in_a_category_word_finds_the_products_of_that_category(catalog):
    # The sneakers' name says nothing of shoes: their category does, and "shoez" is one typo from it.
    assert {"Canvas Sneakers", "Trail Running Shoes"} <= set(names(search(text="shoez")))


def test_name_matches_rank_above_description_only_matches(catalog):
    result = search(text="sonix")
    # every Sonix product matches on brand; an Acme product mentions nothing of Sonix
    assert {h.brand for h in result.hits} == {"Sonix"}


def test_highlight_marks_matches_and_escapes(catalog):
    result = search(text="merino")
    assert result.hits[0].highlighted_name == "<mark>Merino</mark> Wool Sweater"


def test_inactive_products_are_never_found(catalog):
    assert "Discontinued Crew Neck T-Shirt" not in names(search(text="crew neck"))


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "newest", "rating", "bestselling"])
def test_field_sorts_match_the_database_order(catalog, sort):
    result = search(sort=sort)
    visible = list(Product.objects.visible())
    keys = {
        "price_asc": lambda p: (p.price, p.pk),
        "price_desc": lambda p: (-p.price, p.pk),
        "newest": lambda p: (-int(p.created_at.timestamp()), p.pk),
        "rating": lambda p: (-p.rating_average, -p.rating_count, p.pk),
        "bestselling": lambda p: (-p.sales_count, p.pk),
    }
    assert [h.id for h in result.hits] == [p.pk for p in sorted(visible, key=keys[sort])]


def test_category_filter_includes_the_subtree(catalog):
    result = search(category="clothing/tops")
    assert result.total == 7
    assert {h.id for h in result.hits} == {
        p.pk for p in Product.objects.visible().filter(category__slug_path__startswith="clothing/tops")
    }


def facet(result, name):
    return {v.value: v for v in next(f for f in result.facets if f.name == name).values}


def db_count(**filters) -> int:
    qs = Product.objects.visible()
    return qs.filter(**filters).count()


def test_brand_facet_is_disjunctive_and_counts_match_the_database(catalog):
    result = search(category="clothing", selected={"brand": ("acme",)})
    brands = facet(result, "brand")
    # picking Acme does not shrink the other brands' counts within Clothing
    for slug in ("acme", "zephyr", "nordic"):
        assert brands[slug].count == db_count(category__slug_path__startswith="clothing", brand__slug=slug)
    assert brands["acme"].selected and not brands["zephyr"].selected
    # and each count is what picking it adds
    both = search(category="clothing", selected={"brand": ("acme", "zephyr")})
    assert both.total == brands["acme"].count + brands["zephyr"].count


@pytest.mark.parametrize("selection", [
    {"brand": ["acme"]},
    {"brand": ["zephyr", "nordic"], "in_stock": ["1"]},
    {"attr_color": ["Black"], "price_max": ["100"]},
    {"rating": ["4"], "attr_size": ["M", "L"]},
])
def test_every_facet_count_equals_the_results_of_picking_it(catalog, selection):
    """Every facet of the registry, picked through its own link: the count it showed is
    what picking it finds (for a multi-select facet, what it adds to the selection)."""
    base = {"category": ["clothing"], **selection, "page_size": ["50"]}
    result = search_products(parse_request(base))
    for name, values in ((f.name, f.values) for f in result.facets):
        declared = facet_for(name)
        for value in values:
            if value.selected or declared.name in ("category", "price"):
                continue
            picked = declared.toggled(base, name, value.value)
            multi_select = isinstance(declared, TermsFacet | AttributeFacet)
            expected = search_products(parse_request(picked)).total
            if multi_select and any(v.selected for v in values):
                expected -= result.total  # what this value adds to the selection
            assert value.count == expected, (name, value.value)


def test_attribute_facets_are_those_of_the_category(catalog):
    result = search(category="clothing/tops")
    assert {f.name for f in result.facets if f.name.startswith("attr_")} == {"attr_color", "attr_size"}
    colors = facet(result, "attr_color")
    assert colors["White"].count == db_count(category__slug_path__startswith="clothing/tops",
                                             attributes__color="White")


def test_category_facet_counts_each_level(catalog):
    result = search(category="clothing")
    cats = facet(result, "category")
    assert cats["clothing"].selected and cats["clothing"].count == 9
    assert cats["clothing/tops"].count == 7 and cats["clothing/shoes"].count == 2


def test_a_deep_category_counts_its_ancestors_under_the_other_filters(catalog):
    # The ancestors lie outside the category filter (counted directly); the category and its
    # subcategories inside it, with the brand filter and the text narrowing all of them.
    result = search(text="sweater", category="clothing/tops/sweaters", selected={"brand": ("nordic", "zephyr")})
    cats = facet(result, "category")
    brands = {"brand__slug__in": ("nordic", "zephyr"), "name__icontains": "sweater"}
    for path in ("clothing", "clothing/tops", "clothing/tops/sweaters"):
        assert cats[path].count == db_count(category__slug_path__startswith=path, **brands), path
    assert cats["clothing/tops/sweaters"].selected and result.total == cats["clothing/tops/sweaters"].count
    browse = facet(search(category="clothing/tops", selected={"availability": True}), "category")
    assert browse["clothing"].count == db_count(category__slug_path__startswith="clothing", stock_quantity__gt=0)
    assert {path for path in browse if path.count("/") == 2} == {
        p.category.slug_path for p in Product.objects.visible().filter(
            category__slug_path__startswith="clothing/tops/", stock_quantity__gt=0)}


def test_price_and_rating_and_availability_filters(catalog):
    result = search(selected={"price": (Decimal("20"), Decimal("50"))})
    assert all(Decimal("20") <= h.price <= Decimal("50") for h in result.hits)
    assert result.total == db_count(price__gte=20, price__lte=50)
    assert search(selected={"rating": 4}).total == db_count(rating_average__gte=4)
    assert search(selected={"availability": True}).total == db_count(stock_quantity__gt=0)
    ranges = facet(search(), "price")
    assert sum(v.count for v in ranges.values()) == 14


def test_pagination_pages_through_results(catalog):
    page1 = search_products(SearchRequest(sort="price_asc", page=1, page_size=5))
    page3 = search_products(SearchRequest(sort="price_asc", page=3, page_size=5))
    assert page1.total == 14 and page1.num_pages == 3
    assert len(page3.hits) == 4
    assert not {h.id for h in page1.hits} & {h.id for h in page3.hits}


def test_requests_beyond_the_window_are_refused_with_a_message():
    with pytest.raises(InvalidSearchRequest, match="first"):
        SearchRequest(page=MAX_RESULT_WINDOW // 10 + 1, page_size=10)


def test_autocomplete_matches_word_prefixes_popular_first(catalog):
    from search.services import autocomplete

    suggestions = autocomplete("headph")
    assert [h.id for h in suggestions.products] == [
        catalog.products[k].pk for k in ("anc", "studio")  # by sales; "Sport Earbuds" has no such word
    ]
    assert suggestions.categories[0].value == "electronics/audio/headphones"
    assert {b.value for b in suggestions.brands} == {"sonix", "acme"}


def test_autocomplete_completes_every_word_and_tolerates_typos(catalog):
    from search.services import autocomplete

    assert [h.name for h in autocomplete("wire noi").products] == ["Wireless Noise Cancelling Headphones"]
    assert autocomplete("merinno").products[0].name == "Merino Wool Sweater"
    assert autocomplete("m").empty  # from the second character


def test_zero_results_relax_the_query_and_suggest_a_spelling(catalog):
    # A word no product holds is no longer required when another word names the type asked for...
    result = search(text="merino sweater zorblax")
    assert result.relaxed and result.ignored_words == ("zorblax",)
    assert result.hits[0].name == "Merino Wool Sweater"
    # ...and, when none does, it names what the shop does not carry: no random merino matches.
    assert search(text="merino wool toaster").not_carried == ("toaster",)
    assert search(text="sweatre").hits[0].name.endswith("Sweater")  # within 2 edits: found directly
    misspelt = search(text="hedfones")  # three edits away: no match, but a suggestion
    assert misspelt.total == 0 and misspelt.suggestion == "headphones"


def test_an_attribute_value_finds_its_product_ranked_below_a_name_match(catalog):
    # "bamboo" is only the cardigan's material; the lounge sweater has it in its name.
    AttributeDefinition.objects.create(category=catalog.categories["clothing/tops"], code="material",
                                       label="Material", choices=["Bamboo", "Wool"])
    cardigan = catalog.products["cardigan"]
    cardigan.attributes = {**cardigan.attributes, "material": "Bamboo"}
    cardigan.save()
    Product.objects.create(  # no stock, no sales: nothing but its name lifts it
        name="Bamboo Lounge Sweater", slug="lounge", sku="NOR-SW-3199", description="Soft and light.",
        brand=catalog.brands["nordic"], category=catalog.categories["clothing/tops/sweaters"],
        price=Decimal("60.00"), stock_quantity=0, sales_count=0, attributes={"color": "Blue"},
    )
    sync_index()
    assert names(search(text="bamboo")) == ["Bamboo Lounge Sweater", "Chunky Knit Cardigan Sweater"]
    # (other sweaters may follow the two that match every word: the "more of the type" fallback)
    assert names(search(text="bamboo sweater"))[:2] == ["Bamboo Lounge Sweater", "Chunky Knit Cardigan Sweater"]


def test_a_non_searchable_attributes_value_finds_nothing(catalog):
    # Two text attributes of the same products: only the searchable one's values are words.
    tops = catalog.categories["clothing/tops"]
    AttributeDefinition.objects.create(category=tops, code="fabric", label="Fabric", kind="text")
    AttributeDefinition.objects.create(category=tops, code="supplier_code", label="Supplier code", kind="text",
                                       searchable=False)
    merino = catalog.products["merino"]
    merino.attributes = {**merino.attributes, "fabric": "Jersey", "supplier_code": "Quokka"}
    merino.save()
    sync_index()
    assert names(search(text="jersey")) == ["Merino Wool Sweater"]
    assert search(text="quokka").total == 0


def test_flipping_an_attributes_searchable_flag_reindexes_its_categorys_products(catalog):
    from indexing.models import OutboxEntry

    # "Red" is only the graphic tee's colour (a Clothing attribute).
    assert names(search(text="red")) == ["Graphic Print T-Shirt"]
    color = AttributeDefinition.objects.get(category=catalog.categories["clothing"], code="color")
    color.searchable = False
    color.save()
    clothing = set(Product.objects.filter(category__slug_path__startswith="clothing").values_list("pk", flat=True))
    assert set(OutboxEntry.objects.values_list("product_id", flat=True)) == clothing
    sync_index()
    assert search(text="red").total == 0
    assert search(text="black").total == 2  # the electronics' colour stays searchable
    color.searchable = True
    color.save()
    sync_index()
    assert names(search(text="red")) == ["Graphic Print T-Shirt"]


def test_an_attributes_edit_that_changes_no_document_reindexes_nothing(catalog):
    from indexing.models import OutboxEntry

    color = AttributeDefinition.objects.get(category=catalog.categories["clothing"], code="color")
    color.label = "Colour"
    color.save()
    assert not OutboxEntry.objects.exists()


def test_choice_and_text_attributes_are_searchable_by_default_numbers_and_yes_no_not():
    kinds = AttributeDefinition.Kind
    assert AttributeDefinition(kind=kinds.CHOICE).searchable and AttributeDefinition(kind=kinds.TEXT).searchable
    assert not AttributeDefinition(kind=kinds.NUMBER).searchable
    assert not AttributeDefinition(kind=kinds.BOOLEAN).searchable
    assert AttributeDefinition(kind=kinds.NUMBER, searchable=True).searchable  # an explicit choice stands
