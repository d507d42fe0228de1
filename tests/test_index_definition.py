import pytest

from search.documents import DocumentBuilder, documents_for, indexable_rows
from search.management.commands.export_index_settings import MIRROR, mirror_text
from store.models import AttributeDefinition
from tests.catalog import build_catalog


def test_operator_copy_of_the_index_settings_is_current():
    assert MIRROR.read_text() == mirror_text(), "run `python manage.py export_index_settings`"


@pytest.mark.django_db
def test_a_build_reads_the_categories_and_attribute_definitions_once(django_assert_num_queries):
    catalog = build_catalog()
    rows = list(indexable_rows())
    with django_assert_num_queries(3):  # the categories, the attribute definitions, the images
        documents = {d["id"]: d for d in DocumentBuilder().documents(rows)}
    assert documents[catalog.products["merino"].pk]["attribute_text"] == "Blue M"  # colour, size
    assert documents[catalog.products["phone"].pk]["attribute_text"] == "Silver"


@pytest.mark.django_db
def test_a_subcategorys_definition_of_a_code_overrides_its_ancestors():
    catalog = build_catalog()
    # Shoes say their colour is not searchable; the rest of Clothing keeps it.
    AttributeDefinition.objects.create(category=catalog.categories["clothing/shoes"], code="color", label="Colour",
                                       searchable=False)
    documents, _ = documents_for([catalog.products["runner"].pk, catalog.products["vneck"].pk])
    assert {d["name"]: d["attribute_text"] for d in documents} == {
        "Trail Running Shoes": "M", "Slim V-Neck Tee": "Black S"}
