"""Products in and out as CSV or XLSX, with django-import-export: the admin's Import and
Export buttons and ``manage.py import_products`` / ``export_products`` use this resource.

- **Vendors touch only their own products.** A vendor's row whose SKU belongs to another
  vendor (or to the house) is refused with a row error; a new row goes to the vendor's own
  vendor; a ``vendor`` column naming someone else is refused. Administrators (and holders of
  ``store.manage_all_products``) import for every vendor.
- **All or nothing.** One transaction for the whole file: one bad row, a malformed file or
  a failing write, and nothing is imported; the errors say which row and column.
- **A dry run** runs the same import and rolls it back: the rows it would create, update or
  leave unchanged, and the errors.
- **The index follows through the outbox.** Rows are written in bulk (no ``post_save``), so
  the import sends ``products_changed`` with every product it wrote, inside its transaction:
  the indexing app writes the outbox rows and the Celery worker drains them, as for any edit.
- **Exports are safe to open in a spreadsheet.** A text cell starting with ``= + - @``, a tab
  or a carriage return is a formula to Excel and LibreOffice (OWASP "CSV injection"): it is
  written with a leading apostrophe, which an import of the file takes off again.

Lookups (brands, categories, vendors, tax classes, existing SKUs and slugs, attribute
definitions) are loaded once per import, not once per row: 10,000 rows cost a few dozen queries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from copy import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from taxes.models import TaxClass

from .models import NAME_MAX, AttributeDefinition, Brand, Category, Product, Vendor, products_changed

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The columns of a product file, in order; ``sku`` names the product.
COLUMNS = (
    "sku", "name", "slug", "description", "brand", "category", "vendor", "price", "compare_at_price",
    "currency", "stock_quantity", "is_active", "tax_class", "attributes",
)
TEXT_COLUMNS = ("sku", "name", "slug", "description", "brand", "category", "vendor", "currency", "tax_class")
SLUG_MAX = NAME_MAX + 20
KEPT_WHEN_BLANK = ("slug", "currency", "is_active", "stock_quantity", "attributes")


def neutralise_formula(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made plain text (a leading ')."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore_formula(value: Any) -> Any:
    """The cell as it was before ``neutralise_formula``: what our own export wrote reads back."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1:2] in FORMULA_STARTS:
        return value[1:]
    return value


class LookupWidget(widgets.ForeignKeyWidget):
    """A foreign key named in the file by one of its fields (a brand by name, a category by
    path), looked up in a table read once per import."""

    def __init__(self, model, field: str, noun: str, required: bool = False) -> None:
        super().__init__(model, field)
        self.noun, self.required = noun, required
        self.table: dict[str, Any] | None = None

    def reset(self) -> None:
        self.table = None

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            if self.required:
                raise ValueError(f"Enter the {self.noun}.")
            return None
        if self.table is None:
            self.table = {str(getattr(obj, self.field)): obj for obj in self.model.objects.all()}
        found = self.table.get(text)
        if found is None:
            raise ValueError(f"There is no {self.noun} “{text}”.")
        return found


class AmountWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (InvalidOperation, ValueError):
            raise ValueError(f"Enter an amount such as 12.50, not “{value}”.") from None


class WholeNumberWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (InvalidOperation, ValueError, TypeError):
            raise ValueError(f"Enter a whole number, not “{value}”.") from None


class YesNoWidget(widgets.BooleanWidget):
    """1/0, true/false, yes/no; anything else is an error rather than a silent "no"."""

    YES, NO = {"1", "true", "yes", "y"}, {"0", "false", "no", "n"}

    def clean(self, value, row=None, **kwargs):
        text = str(value).strip().lower() if value is not None else ""
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        if not text:
            return None
        raise ValueError(f"Enter 1 or 0 (yes or no), not “{value}”.")


class ProductResource(resources.ModelResource):
    """``vendor_ids``: the vendors the importing user sells for; None: every vendor (an
    administrator)."""

    brand = fields.Field(attribute="brand", column_name="brand", widget=LookupWidget(Brand, "name", "brand", True))
    category = fields.Field(attribute="category", column_name="category",
                            widget=LookupWidget(Category, "slug_path", "category", True))
    vendor = fields.Field(attribute="vendor", column_name="vendor", widget=LookupWidget(Vendor, "slug", "vendor"))
    tax_class = fields.Field(attribute="tax_class", column_name="tax_class",
                             widget=LookupWidget(TaxClass, "slug", "tax class"))
    attributes = fields.Field(attribute="attributes", column_name="attributes", widget=widgets.JSONWidget())
    price = fields.Field(attribute="price", column_name="price", widget=AmountWidget())
    compare_at_price = fields.Field(attribute="compare_at_price", column_name="compare_at_price",
                                    widget=AmountWidget())
    stock_quantity = fields.Field(attribute="stock_quantity", column_name="stock_quantity",
                                  widget=WholeNumberWidget())
    is_active = fields.Field(attribute="is_active", column_name="is_active", widget=YesNoWidget())

    class Meta:
        model = Product
        fields = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("sku",)
        instance_loader_class = CachedInstanceLoader  # one query for the file's SKUs
        use_bulk = True
        batch_size = 1000
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False  # validate_instance below: the same checks, without a query per row
        use_transactions = True
        skip_html_diff = True  # the admin's preview (AdminProductResource) shows it; a command has no use for it

    def __init__(self, vendor_ids: Collection[int] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.vendor_ids = None if vendor_ids is None else frozenset(vendor_ids)
        self.imported_skus: list[str] = []

    # --- Export -------------------------------------------------------------------------------

    def get_queryset(self):
        return Product.objects.select_related("brand", "category", "vendor", "tax_class")

    def filter_export(self, queryset, **kwargs):
        queryset = super().filter_export(queryset, **kwargs)
        if self.vendor_ids is not None:  # never another vendor's, whatever queryset came in
            queryset = queryset.filter(vendor__in=self.vendor_ids)
        return queryset.select_related("brand", "category", "vendor", "tax_class")

    def export_field(self, field, instance, **kwargs):
        return neutralise_formula(super().export_field(field, instance, **kwargs))

    # --- Import -------------------------------------------------------------------------------

    def before_import(self, dataset, **kwargs) -> None:
        for field in self.fields.values():
            if isinstance(field.widget, LookupWidget):
                field.widget.reset()
        self.imported_skus = []
        self._definitions: dict[int, dict[str, AttributeDefinition]] = {}
        self._seen_skus: set[str] = set()
        self._seen_slugs: set[str] = set()
        # Cells as our export wrote them: the apostrophe off a neutralised formula, spaces trimmed.
        # In the dataset itself, before the instance loader reads the SKUs from it.
        text_columns = [i for i, h in enumerate(dataset.headers or ()) if h in TEXT_COLUMNS]
        if text_columns:
            rows = [tuple(_plain(cell) if i in text_columns else cell for i, cell in enumerate(r)) for r in dataset]
            headers = dataset.headers
            dataset.wipe()
            dataset.headers = headers
            dataset.extend(rows)
        headers = set(dataset.headers or ())
        missing = {"sku", "name", "price"} - headers
        if missing:
            raise ValidationError(
                f"The file has no {', '.join(sorted(missing))} column: a product file's first row names its "
                f"columns ({', '.join(COLUMNS)}).")
        # Who owns the file's SKUs and slugs already: one query per 5,000 values.
        skus = [str(v) for v in dataset["sku"]]
        self._owner_of_sku = {sku: vendor for sku, vendor in _chunked_values(
            Product.objects.values_list("sku", "vendor_id"), "sku__in", skus)}
        if not self._owner_of_sku and self._meta.skip_html_diff:
            # Every row is new: nothing to leave unchanged, no diff to show. Comparing each row
            # with its blank original was half the import's time.
            self._meta = copy(self._meta)
            self._meta.skip_diff = True
        slugs = [str(v) for v in dataset["slug"]] if "slug" in headers else []
        self._sku_of_slug = dict(_chunked_values(Product.objects.values_list("slug", "sku"), "slug__in", slugs))

    def before_import_row(self, row, **kwargs) -> None:
        for column, value in row.items():
            if isinstance(value, str) and "\x00" in value:
                raise ValidationError({column or "file": "This cell holds a NUL character."})
        for column in KEPT_WHEN_BLANK:
            if column in row and row[column] in ("", None):
                # Not given: a new product gets the default (a slug from its name), an existing one keeps its own.
                del row[column]
        if not row.get("sku"):
            raise ValidationError({"sku": "Enter the SKU: it names the product."})
        if self.vendor_ids is not None:
            owner = self._owner_of_sku.get(str(row["sku"]), 0)
            if owner != 0 and owner not in self.vendor_ids:
                raise ValidationError({"sku": f"SKU “{row['sku']}” belongs to another vendor: you can import "
                                              "only your own products."})

    def import_instance(self, instance: Product, row, **kwargs) -> None:
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if not instance.slug and instance.name and instance.sku:
            instance.slug = slugify(f"{instance.name}-{instance.sku}")[:SLUG_MAX].strip("-")
        if self.vendor_ids is not None and "vendor" not in errors:
            self._assign_own_vendor(instance, row, errors)
        if instance.attributes is None:
            instance.attributes = {}
        if errors:
            raise ValidationError(errors)

    def _assign_own_vendor(self, instance: Product, row, errors: dict) -> None:
        assert self.vendor_ids is not None
        if instance.vendor_id in self.vendor_ids:
            return
        if row.get("vendor"):
            errors["vendor"] = [f"You do not sell as “{row['vendor']}”."]
        elif len(self.vendor_ids) == 1:
            instance.vendor_id = next(iter(self.vendor_ids))
        else:
            errors["vendor"] = ["Name the vendor (its slug): you sell for several."]

    def validate_instance(self, instance: Product, import_validation_errors=None, validate_unique=True) -> None:
        """Product.full_clean's checks, with the lookups of this import instead of a query per row."""
        errors = dict(import_validation_errors or {})
        try:
            instance.clean_fields(exclude=[*errors, "brand", "category", "vendor", "tax_class"])
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if "attributes" not in errors:
            try:
                instance.validate_attributes(self._definitions_of(instance.category) if instance.category_id
                                             else None)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
        if instance.sku in self._seen_skus:
            errors.setdefault("sku", []).append(f"SKU “{instance.sku}” is in the file twice.")
        taken_by = self._sku_of_slug.get(instance.slug)
        if instance.slug in self._seen_slugs or (taken_by is not None and taken_by != instance.sku):
            errors.setdefault("slug", []).append(f"The slug “{instance.slug}” is taken by another product.")
        if errors:
            raise ValidationError(errors)
        self._seen_skus.add(instance.sku)
        self._seen_slugs.add(instance.slug)

    def _definitions_of(self, category: Category) -> dict[str, AttributeDefinition]:
        if category.pk not in self._definitions:
            self._definitions[category.pk] = {
                d.code: d for d in AttributeDefinition.objects.filter(category__in=category.ancestors_and_self())}
        return self._definitions[category.pk]

    def before_save_instance(self, instance: Product, row, **kwargs) -> None:
        instance.updated_at = timezone.now()  # bulk writes skip auto_now; verify compares this stamp
        if instance.compare_at_price == Decimal(0):
            instance.compare_at_price = None

    def after_save_instance(self, instance: Product, row, **kwargs) -> None:
        self.imported_skus.append(instance.sku)

    def get_bulk_update_fields(self) -> list[str]:
        return [*super().get_bulk_update_fields(), "updated_at"]

    def after_import(self, dataset, result, **kwargs) -> None:
        """Tell the index which products changed, inside the import's transaction (a dry run's
        rows roll back with it)."""
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        ids = [pk for pk, in _chunked_values(Product.objects.values_list("pk"), "sku__in", self.imported_skus)]
        products_changed.send(sender=Product, product_ids=ids)


def _plain(cell: Any) -> Any:
    """A text cell as imported: an empty XLSX cell is "", as in a CSV file."""
    if cell is None:
        return ""
    return restore_formula(cell.strip()) if isinstance(cell, str) else cell


def _chunked_values(queryset, lookup: str, values: Iterable[str], size: int = 5000):
    values = [v for v in dict.fromkeys(values) if v]
    for start in range(0, len(values), size):
        yield from queryset.filter(**{lookup: values[start:start + size]})


class AdminProductResource(ProductResource):
    """The admin's import: its dry run shows each row's change, field by field."""

    class Meta(ProductResource.Meta):
        skip_html_diff = False


# --- Files ---------------------------------------------------------------------------------


class ProductFileError(Exception):
    """A file that cannot be read as a product file; the message says why."""


def file_format(name: str):
    """The import-export format of a file name's extension (CSV or XLSX)."""
    from import_export.formats.base_formats import CSV, XLSX

    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    formats = {"csv": CSV, "xlsx": XLSX}
    if extension not in formats:
        raise ProductFileError(f"“{name}” is neither a .csv nor an .xlsx file.")
    return formats[extension]()


def read_products_file(content: bytes, name: str):
    """The rows of a CSV (UTF-8) or XLSX file as a tablib Dataset."""
    fmt = file_format(name)
    try:
        data = content.decode("utf-8-sig") if fmt.get_title() == "csv" else content
        dataset = fmt.create_dataset(data)
    except UnicodeDecodeError:
        raise ProductFileError("The CSV file is not UTF-8 text: export it as “CSV UTF-8”.") from None
    except Exception as exc:  # noqa: BLE001 - tablib and openpyxl raise many kinds for a broken file
        raise ProductFileError(f"“{name}” could not be read as {fmt.get_title().upper()}: "
                               f"{exc.__class__.__name__}.") from None
    if not dataset.headers:
        raise ProductFileError(f"“{name}” has no header row naming its columns ({', '.join(COLUMNS)}).")
    return dataset


def import_products(dataset, *, vendor_ids: Collection[int] | None = None, dry_run: bool = False):
    """Import (or, with ``dry_run``, try) every row in one transaction, rolled back if any
    row or the file is refused; returns import-export's Result."""
    return ProductResource(vendor_ids=vendor_ids).import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True, raise_errors=False,
        retain_instance_in_row_result=dry_run)  # a dry run tells what it would change (result_changes)


def result_problems(result) -> list[str]:
    """Every error of an import, one line each: "Row 3, price: Enter a number."."""
    problems = [f"File: {_messages(error.error)}" for error in result.base_errors]
    for number, errors in result.row_errors():
        problems.extend(f"Row {number}: {_messages(error.error)}" for error in errors)
    for row in result.invalid_rows:
        for column, messages in row.error_dict.items():
            where = "" if column == "__all__" else f", {column}"
            problems.append(f"Row {row.number}{where}: {' '.join(str(m) for m in messages)}")
    return problems


def result_changes(result, limit: int = 50) -> list[str]:
    """What a dry run would do, row by row: "Row 2, LAMP-1: price 19.99 → 21.00"; unchanged
    rows are left out. At most ``limit`` lines, then how many more."""
    resource = ProductResource()
    lines: list[str] = []
    changed = 0
    for number, row in enumerate(result.rows, 1):  # every row is reported (report_skipped)
        if row.instance is None or row.import_type not in (row.IMPORT_TYPE_NEW, row.IMPORT_TYPE_UPDATE):
            continue
        changed += 1
        if len(lines) >= limit:
            continue
        if row.import_type == row.IMPORT_TYPE_NEW:
            lines.append(f"Row {number}, {row.instance.sku}: new “{_short(row.instance.name)}”")
            continue
        differences = []
        for name, field in resource.fields.items():
            before = resource.export_field(field, row.original) if row.original is not None else None
            after = resource.export_field(field, row.instance)
            if before != after:
                differences.append(f"{name} {_short(before)} → {_short(after)}")
        lines.append(f"Row {number}, {row.instance.sku}: {'; '.join(differences) or 'updated'}")
    if changed > len(lines):
        lines.append(f"… and {changed - len(lines)} more row(s).")
    return lines


def _short(value: Any, width: int = 40) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _messages(error: BaseException) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def result_counts(result) -> dict[str, int]:
    """How many rows would be (or were) created, updated, left unchanged, or refused."""
    totals = result.totals
    return {"new": totals["new"], "update": totals["update"], "skip": totals["skip"],
            "invalid": totals["invalid"] + totals["error"]}


def export_products(queryset, name: str, *, vendor_ids: Collection[int] | None = None) -> bytes:
    """The products of ``queryset`` (a vendor's own only, with ``vendor_ids``) as a file."""
    fmt = file_format(name)
    dataset = ProductResource(vendor_ids=vendor_ids).export(queryset)
    data = fmt.export_data(dataset)
    return data.encode("utf-8") if isinstance(data, str) else data
