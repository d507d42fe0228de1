"""Shopper-facing forms of the cart and checkout. Stock rules live in checkout.cart; the
views turn its CartError into an error on the quantity field."""

from __future__ import annotations

import re
import uuid

from django import forms
from django.conf import settings

from .cart import MAX_LINE_QUANTITY

QUANTITY_ERRORS = {
    "required": "Enter a quantity.",
    "invalid": "Enter a whole number.",
    "min_value": "Quantity must be at least 1.",
    "max_value": f"You can order at most {MAX_LINE_QUANTITY} at once.",
}
# Where we ship. A short, explicit list: postal code rules below know these.
COUNTRY_CHOICES = [
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
]
POSTAL_CODE_PATTERNS = {
    "US": (r"^\d{5}(-\d{4})?$", "Enter a ZIP code such as 94103 or 94103-1234."),
    "CA": (r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$", "Enter a postal code such as K1A 0B1."),
    "GB": (r"^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$", "Enter a postcode such as SW1A 1AA."),
    "DE": (r"^\d{5}$", "Enter a five-digit Postleitzahl such as 10115."),
    "FR": (r"^\d{5}$", "Enter a five-digit code postal such as 75001."),
    "NL": (r"^\d{4} ?[A-Za-z]{2}$", "Enter a postcode such as 1012 AB."),
}


def quantity_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        error_messages=QUANTITY_ERRORS,
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric", "class": "quantity-input"}),
        **kwargs,
    )


class AddToCartForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput)
    quantity = quantity_field(initial=1)


class CartQuantityForm(forms.Form):
    quantity = quantity_field()


class CheckoutForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        help_text="Your order confirmation goes here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    full_name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    address_line1 = forms.CharField(
        label="Street address",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_line2 = forms.CharField(
        label="Apartment, suite, etc.",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    postal_code = forms.CharField(
        label="Postal code", max_length=20, widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    country = forms.ChoiceField(choices=COUNTRY_CHOICES, widget=forms.Select(attrs={"autocomplete": "country"}))
    phone = forms.RegexField(
        label="Phone (for the courier)",
        regex=r"^\+?[\d\s().-]{6,30}$",
        max_length=30,
        required=False,
        error_messages={"invalid": "Enter a phone number: digits, spaces and + ( ) - only."},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    shipping_method = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a shipping method.",
            "invalid_choice": "Choose one of the shipping methods listed.",
        },
    )
    # Issued with the form: a double submit or a retry of this form makes one order.
    idempotency_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This checkout form has expired. Please submit it again.",
            "invalid": "This checkout form has expired. Please submit it again.",
        },
    )

    # The goods' subtotal the shopper was shown; a price change before submit is caught.
    expected_subtotal = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, min_value=0, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        methods = settings.SHIPPING_METHODS
        self.fields["shipping_method"].choices = [(code, m["label"]) for code, m in methods.items()]
        self.fields["shipping_method"].initial = next(iter(methods), None)
        self.fields["idempotency_key"].initial = uuid.uuid4()

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if len(name) < 2:
            raise forms.ValidationError("Enter the recipient's full name.")
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        country, postal_code = cleaned.get("country"), cleaned.get("postal_code")
        if country and postal_code:
            pattern, message = POSTAL_CODE_PATTERNS[country]
            postal_code = " ".join(postal_code.split()).upper()
            if not re.fullmatch(pattern, postal_code):
                self.add_error("postal_code", message)
            else:
                cleaned["postal_code"] = postal_code
        return cleaned

    def address(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(name, "")
            for name in (
                "full_name",
                "address_line1",
                "address_line2",
                "city",
                "postal_code",
                "country",
                "phone",
            )
        }


class OrderLookupForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address", max_length=254, help_text="The address you placed the order with.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    number = forms.CharField(
        label="Order number", max_length=20, help_text="In the e-mails we sent you, e.g. 000123.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
