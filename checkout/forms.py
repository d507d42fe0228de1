"""Shopper-facing forms of the cart and checkout. Stock rules live in checkout.cart; the
views turn its CartError into an error on the quantity field."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings

from .addresses import AddressProblems, shipping_countries, validate_address
from .cart import MAX_LINE_QUANTITY

QUANTITY_ERRORS = {
    "required": "Enter a quantity.",
    "invalid": "Enter a whole number.",
    "min_value": "Quantity must be at least 1.",
    "max_value": f"You can order at most {MAX_LINE_QUANTITY} at once.",
}
# The fields the country's address rules judge (checkout.addresses).
ADDRESS_RULE_FIELDS = ("address_line1", "city", "postal_code", "country_area")


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
    # Required or not by the country's rules (checkout.addresses), checked in clean().
    city = forms.CharField(
        max_length=100, required=False, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    postal_code = forms.CharField(
        label="Postal / ZIP code", max_length=20, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    country_area = forms.CharField(
        label="State / province", max_length=100, required=False,
        help_text="Where the country's addresses have one (a US state, a Canadian province…).",
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    country = forms.ChoiceField(widget=forms.Select(attrs={"autocomplete": "country"}))
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
        self.fields["country"].choices = shipping_countries()
        self.fields["country"].initial = settings.TAX_DISPLAY_COUNTRY

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if len(name) < 2:
            raise forms.ValidationError("Enter the recipient's full name.")
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("country") and not any(name in self.errors for name in ADDRESS_RULE_FIELDS):
            try:
                cleaned.update(validate_address(cleaned))
            except AddressProblems as problems:
                for name, message in problems.errors.items():
                    self.add_error(name, message)
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
                "country_area",
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
