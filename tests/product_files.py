"""Product files for the import tests and the import bench: N rows in the import's columns."""

from __future__ import annotations

import csv
import io

from store.product_io import COLUMNS

WORDS = ("Oak", "Linen", "Copper", "Walnut", "Wool", "Slate", "Cedar", "Marble", "Canvas", "Bamboo")
THINGS = ("Board", "Apron", "Kettle", "Lamp", "Throw", "Coaster", "Basket", "Tray", "Tote", "Bowl")


def product_rows(count: int, *, brand: str, category: str, vendor: str = "", prefix: str = "IMP") -> list[dict]:
    """Distinct, searchable names: "Oak Board 000123" (the number is a word of its own)."""
    return [
        {"sku": f"{prefix}-{i:06d}", "name": f"{WORDS[i % 10]} {THINGS[(i // 10) % 10]} {i:06d}",
         "description": f"Imported item number {i}.", "brand": brand, "category": category, "vendor": vendor,
         "price": f"{5 + (i % 400) * 0.25:.2f}", "currency": "USD", "stock_quantity": str(i % 50),
         "is_active": "1", "attributes": "{}"}
        for i in range(count)
    ]


def csv_file(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()
