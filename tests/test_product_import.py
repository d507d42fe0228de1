"""Product import and export (store.product_io, django-import-export): CSV and XLSX, vendors
limited to their own products, one transaction per file, a dry run, clear row errors, the
index following through the outbox, and exports a spreadsheet cannot run as formulas."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from indexing.models import OutboxEntry
from store.models import Product
from store.product_io import (
    COLUMNS,
    ProductFileError,
    export_products,
    import_products,
    read_products_file,
    result_changes,
    result_counts,
    result_problems,
)
from store.roles import ADMINISTRATOR, VENDOR, assign_role
from tests.conftest import sync_index

pytest_plugins = ["tests.checkout_fixtures"]
pytestmark = pytest.mark.django_db


def csv_bytes(*rows: dict, columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def row(sku: str, **values) -> dict:
    return {"sku": sku, "name": f"Imported {sku}", "brand": "Acme", "category": "gear", "price": "12.50",
            "currency": "USD", "stock_quantity": "5", "is_active": "1", **values}


def run_import(content: bytes, name: str = "products.csv", vendor_ids=None, dry_run=False):
    return import_products(read_products_file(content, name), vendor_ids=vendor_ids, dry_run=dry_run)


def product_count() -> int:
    return Product.objects.count()


@pytest.fixture
def vendor_client(client, shop):
    user = User.objects.create_user("alice", password="unused-password")
    assign_role(user, VENDOR)
    shop.vendor_a.users.add(user)
    client.force_login(user)
    return client


def admin_import(client, content: bytes, name: str = "products.csv", fmt: int = 0):
    """The admin's import page: upload (a dry run with its preview), then confirm if it may."""
    page = client.post(reverse("admin:store_product_import"),
                       {"import_file": SimpleUploadedFile(name, content), "format": str(fmt), "resource": "0"})
    assert page.status_code == 200
    return page


# --- Importing --------------------------------------------------------------------------------


def test_an_import_creates_and_updates_products_and_the_index_follows(shop, tantivy_backend):
    sync_index()
    OutboxEntry.objects.all().delete()
    content = csv_bytes(row("NEW-1", name="Walnut Cutting Board", price="34.00"),
                        row("NEW-2", name="Linen Apron", vendor="bravo"),
                        row("LAMP-1", name="Desk Lamp", price="21.00", stock_quantity="10", vendor="alpha"))
    result = run_import(content)
    assert result_problems(result) == []
    assert result_counts(result) == {"new": 2, "update": 1, "skip": 0, "invalid": 0}
    board = Product.objects.get(sku="NEW-1")
    assert (board.name, board.price, board.slug, board.brand, board.vendor) == (
        "Walnut Cutting Board", Decimal("34.00"), "walnut-cutting-board-new-1", shop.brand, None)
    assert Product.objects.get(sku="NEW-2").vendor == shop.vendor_b
    assert Product.objects.get(sku="LAMP-1").price == Decimal("21.00")
    # Through the outbox (bulk writes send no post_save): the drain brings them to the engine.
    assert {board.pk, shop.lamp.pk} <= set(OutboxEntry.objects.values_list("product_id", flat=True))
    sync_index()
    hits = tantivy_backend.search_ids_for_test("walnut") if hasattr(tantivy_backend, "search_ids_for_test") else None
    assert tantivy_backend.get_document(board.pk)["name"] == "Walnut Cutting Board"
    assert tantivy_backend.get_document(shop.lamp.pk)["price"] == 21.0
    assert hits is None or board.pk in hits


def test_a_dry_run_shows_what_would_change_and_changes_nothing(client, shop):
    OutboxEntry.objects.all().delete()
    before = product_count()
    content = csv_bytes(row("NEW-1"), row("LAMP-1", name="Desk Lamp", price="99.00", stock_quantity="10",
                                          vendor="alpha"),
                        row("MUG-1", name="Enamel Mug", price="7.35", stock_quantity="3", vendor="bravo"))
    result = run_import(content, dry_run=True)
    assert result_counts(result) == {"new": 1, "update": 1, "skip": 1, "invalid": 0}
    assert result_changes(result) == ["Row 1, NEW-1: new “Imported NEW-1”", "Row 2, LAMP-1: price 19.99 → 99.00"]
    # The admin's dry run shows each change, before and after, and waits for a confirmation.
    admin = User.objects.create_user("root", password="unused-password")
    assign_role(admin, ADMINISTRATOR)
    client.force_login(admin)
    page = admin_import(client, content)
    lamp_row = next(r for r in page.context["result"].rows if r.object_repr == "Desk Lamp")
    price_cell = lamp_row.diff[COLUMNS.index("price")]
    assert "19.99" in price_cell and "99.00" in price_cell
    assert "confirm_form" in page.context
    assert product_count() == before and Product.objects.get(sku="LAMP-1").price == Decimal("19.99")
    assert not OutboxEntry.objects.exists()


def test_a_bad_row_is_a_clear_error_and_nothing_is_imported(shop):
    before = product_count()
    content = csv_bytes(row("OK-1"), row("BAD-1", price="abc"), row("BAD-2", brand="Nobody"),
                        row("BAD-3", price="-4.00"), row("BAD-4", category="no/such/path"),
                        row("OK-1", name="Twice"), row("BAD-5", attributes='{"color": 1}'))
    problems = result_problems(run_import(content))
    assert "Row 2, price: Enter an amount such as 12.50, not “abc”." in problems
    assert "Row 3, brand: There is no brand “Nobody”." in problems
    assert "Row 4, price: Ensure this value is greater than or equal to 0." in problems
    assert "Row 5, category: There is no category “no/such/path”." in problems
    assert "Row 6, sku: SKU “OK-1” is in the file twice." in problems
    assert "Row 7, attributes: Unknown attribute 'color' for category gear." in problems
    assert product_count() == before and not Product.objects.filter(sku="OK-1").exists()


def test_a_malformed_file_is_refused_with_a_clear_message(shop, tmp_path):
    with pytest.raises(ProductFileError, match="could not be read as XLSX"):
        read_products_file(b"PK\x03\x04 this is no spreadsheet", "products.xlsx")
    with pytest.raises(ProductFileError, match="neither a .csv nor an .xlsx"):
        read_products_file(b"sku\n", "products.pdf")
    with pytest.raises(ProductFileError, match="not UTF-8"):
        read_products_file("sku,name,price\nX,Caf\u00e9,1\n".encode("latin-1"), "products.csv")
    result = run_import(b"code,title\nA,B\n")
    assert result_problems(result)[0].startswith("File: The file has no name, price, sku column")
    # The command: exit code 1 (CommandError) and the reason, nothing imported.
    bad = tmp_path / "broken.csv"
    bad.write_bytes(csv_bytes(row("OK-9"), row("BAD-9", price="")))
    before = product_count()
    with pytest.raises(CommandError, match=r"Nothing imported: 1 problem\(s\)"):
        call_command("import_products", str(bad))
    assert product_count() == before


def test_the_import_command_imports_a_file_and_its_dry_run_changes_nothing(shop, tmp_path, capsys):
    path = tmp_path / "products.xlsx"
    path.write_bytes(export_products(Product.objects.none(), "x.xlsx"))  # an empty XLSX with the columns
    book = openpyxl.load_workbook(path)
    book.active.append([row("XL-1").get(c) for c in COLUMNS])
    book.save(path)
    call_command("import_products", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "Row 1, XL-1: new “Imported XL-1”" in out and "Would import 1 row(s): 1 new" in out
    assert not Product.objects.filter(sku="XL-1").exists()
    call_command("import_products", str(path), "--vendor", "alpha")
    assert Product.objects.get(sku="XL-1").vendor == shop.vendor_a


# --- Vendors --------------------------------------------------------------------------------


def test_a_vendors_import_of_another_vendors_sku_is_refused_and_nothing_is_imported(vendor_client, shop):
    before = product_count()
    content = csv_bytes(row("ALPHA-NEW"), row("MUG-1", name="Stolen Mug", price="0.01"),
                        row("ALPHA-2", vendor="bravo"))
    page = admin_import(vendor_client, content).content.decode()
    assert "SKU “MUG-1” belongs to another vendor: you can import only your own products." in page
    assert "You do not sell as “bravo”." in page
    assert 'name="import_file_name"' not in page  # no confirm form: nothing can be imported
    assert product_count() == before
    mug = Product.objects.get(sku="MUG-1")
    assert (mug.name, mug.price, mug.vendor) == ("Enamel Mug", Decimal("7.35"), shop.vendor_b)


def test_a_vendors_own_import_goes_to_its_vendor_after_the_preview(vendor_client, shop):
    content = csv_bytes(row("ALPHA-NEW", name="<script>alert(1)</script> Lamp"),
                        row("LAMP-1", name="Desk Lamp", price="18.00", stock_quantity="10"))
    page = admin_import(vendor_client, content)
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html  # the preview escapes what the file says
    confirm = page.context["confirm_form"]
    response = vendor_client.post(reverse("admin:store_product_process_import"),
                                  {name: confirm[name].value() for name in confirm.fields})
    assert response.status_code == 302
    assert Product.objects.get(sku="ALPHA-NEW").vendor == shop.vendor_a
    assert Product.objects.get(sku="LAMP-1").price == Decimal("18.00")


def test_a_vendor_exports_only_its_own_products(vendor_client, shop):
    columns = {f"adminproductresource_{c}": "on" for c in COLUMNS}
    response = vendor_client.post(reverse("admin:store_product_export"), {"format": "0", "resource": "0", **columns})
    assert response.status_code == 200
    skus = {r["sku"] for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert skus == {"LAMP-1", "GONE-1"}  # vendor A's; never the mug of vendor B
    assert export_products(Product.objects.all(), "x.csv", vendor_ids=[shop.vendor_b.pk]).count(b"MUG-1") == 1


def test_an_administrator_imports_for_every_vendor(client, shop):
    admin = User.objects.create_user("root", password="unused-password")
    assign_role(admin, ADMINISTRATOR)
    client.force_login(admin)
    page = admin_import(client, csv_bytes(row("MUG-1", name="Enamel Mug", price="8.00", stock_quantity="3",
                                              vendor="bravo")))
    assert page.context["result"].totals["update"] == 1 and "confirm_form" in page.context


# --- Hostile values -------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-3+4", "@SUM(A1)", "\tTab", "\rReturn"]


def test_exports_neutralise_formulas_and_read_back_as_they_were(shop):
    for i, name in enumerate(FORMULAS):
        Product.objects.create(name=name, slug=f"hostile-{i}", sku=f"=HOST-{i}", brand=shop.brand,
                               category=shop.category, price=Decimal("1.00"), description="-not a formula")
    hostile = Product.objects.filter(slug__startswith="hostile-").order_by("pk")

    rows = list(csv.DictReader(io.StringIO(export_products(hostile, "x.csv").decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["'" + name for name in FORMULAS]
    assert {r["sku"][0] for r in rows} == {"'"} and {r["description"] for r in rows} == {"'-not a formula"}
    assert rows[0]["price"] == "1.00"

    book = openpyxl.load_workbook(io.BytesIO(export_products(hostile, "x.xlsx")))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    names = [r[header.index("name")] for r in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" and cell.value.startswith("'") for cell in names)  # text, not formulas

    # Our own export imports back unchanged: the apostrophes come off again.
    result = run_import(export_products(hostile, "x.csv"))
    assert result_problems(result) == [] and result_counts(result)["skip"] == len(FORMULAS)
    result = run_import(export_products(hostile, "x.xlsx"), "x.xlsx")
    assert result_problems(result) == [] and result_counts(result)["skip"] == len(FORMULAS)


def test_blank_optional_cells_keep_the_defaults_and_what_a_product_has(shop):
    sparse = ("sku", "name", "brand", "category", "price", "currency", "is_active", "stock_quantity")
    result = run_import(csv_bytes({"sku": "SPARSE-1", "name": "Sparse", "brand": "Acme", "category": "gear",
                                   "price": "3.00"}, {"sku": "LAMP-1", "name": "Desk Lamp", "brand": "Acme",
                                                      "category": "gear", "price": "19.99"}, columns=sparse))
    assert result_problems(result) == []
    sparse_product = Product.objects.get(sku="SPARSE-1")
    assert (sparse_product.currency, sparse_product.is_active, sparse_product.stock_quantity) == ("USD", True, 0)
    lamp = Product.objects.get(sku="LAMP-1")
    assert (lamp.slug, lamp.stock_quantity, lamp.vendor) == ("lamp-1", 10, shop.vendor_a)


def test_a_nul_in_a_cell_is_a_row_error(shop):
    problems = result_problems(run_import(csv_bytes(row("NUL-1", name="bad\x00name"))))
    assert problems == ["Row 1, name: This cell holds a NUL character."]
