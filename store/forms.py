"""Shopper-facing forms: reviews (signup is django-allauth's: store/accounts.py)."""

from django import forms

from .models import REVIEW_BODY_MAX, REVIEW_TITLE_MAX, Product, Review

RATING_CHOICES = [(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)]
DUPLICATE_REVIEW_MESSAGE = "You have already reviewed this product."


class ReviewForm(forms.ModelForm):
    """A shopper's review of one product; one per shopper and product.

    The product and author are not form fields, so ModelForm would skip the
    (product, author) uniqueness check: ``clean`` does it, to answer with a form
    error rather than an IntegrityError."""

    rating = forms.TypedChoiceField(
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a rating from 1 to 5 stars.",
            "invalid_choice": "Choose a rating from 1 to 5 stars.",
        },
    )
    title = forms.CharField(
        max_length=REVIEW_TITLE_MAX,
        error_messages={"max_length": f"Keep the title to {REVIEW_TITLE_MAX} characters or fewer."},
    )
    body = forms.CharField(
        label="Review",
        max_length=REVIEW_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"max_length": f"Keep the review to {REVIEW_BODY_MAX} characters or fewer."},
    )

    class Meta:
        model = Review
        fields = ("rating", "title", "body")

    def __init__(self, *args, product: Product, author, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.product = product
        self.instance.author = author

    def clean(self) -> dict:
        cleaned = super().clean()
        if Review.objects.filter(product=self.instance.product, author=self.instance.author).exists():
            raise forms.ValidationError(DUPLICATE_REVIEW_MESSAGE, code="duplicate")
        return cleaned
