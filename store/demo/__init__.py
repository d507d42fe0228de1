"""The deterministic demo catalog: vocabulary, a seeded generator and a bulk writer.

``vocabulary`` holds the data the catalog is made of (the category tree with its
attributes, brands, vendors, the words of names, descriptions and reviews).
The generator (``generator.DemoCatalog``) is plain Python: every random draw comes from a
``random.Random`` seeded from the ``seed`` argument and nothing depends on the
clock, so one seed always yields the same categories, brands, products, prices,
attributes, stock, images, reviews and listing ages. ``writer.seed_demo_catalog`` writes it
with ``bulk_create`` in one transaction, dating each product its age before the seeding.
Bulk inserts fire no signals, so no search outbox rows are written: the caller
reindexes afterwards.

Callers import the module they need; this package exports nothing itself.
"""
