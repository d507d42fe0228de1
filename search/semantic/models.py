"""What the semantic side keeps in PostgreSQL (the truth, shared by every process)."""

from __future__ import annotations

from django.db import models


class Embedding(models.Model):
    """A text's vector, keyed by a hash of the model and the text: what was embedded once is
    never embedded again (a vocabulary refresh embeds only its new terms)."""

    digest = models.CharField(max_length=64, primary_key=True)
    vector = models.BinaryField()  # float32, little-endian, DIMENSIONS values
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "search"

    def __str__(self) -> str:
        return self.digest[:12]


class VocabularyTerm(models.Model):
    """A term of the shop's own vocabulary (a product-type noun of the names, a category name
    part) that a shopper's unknown word may be expanded to."""

    term = models.CharField(max_length=120, unique=True)
    # The category whose products the term names (its slug path): expansions stay in one family.
    category_path = models.CharField(max_length=255)
    product_count = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)  # its Embedding

    class Meta:
        app_label = "search"

    def __str__(self) -> str:
        return self.term
