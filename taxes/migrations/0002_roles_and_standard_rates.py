# Grants the tax models to the role groups of store/0002_roles, and starts the shop with the
# standard and reduced VAT rates of a few European countries (edited in the admin since;
# a country without a rate pays settings.TAX_RATE). Written by hand.

from decimal import Decimal

from django.db import migrations

from store.migration_support import grant_app_permissions, revoke_app_permissions

APP = "taxes"
# Vendors pick a product's tax class; rates are the administrators' (they get every permission).
ROLE_PERMISSIONS = {"vendor": ["view_taxclass"]}
REDUCED = ("reduced", "Reduced rate (books, food)")
# country → (standard rate, reduced rate), as of 2026.
RATES = {
    "DE": ("0.19", "0.07"),
    "FR": ("0.20", "0.055"),
    "NL": ("0.21", "0.09"),
    "GB": ("0.20", "0.00"),
}


def forwards(apps, schema_editor) -> None:
    grant_app_permissions(apps, schema_editor, APP, ROLE_PERMISSIONS)
    TaxClass = apps.get_model("taxes", "TaxClass")
    TaxRate = apps.get_model("taxes", "TaxRate")
    reduced, _ = TaxClass.objects.get_or_create(slug=REDUCED[0], defaults={"name": REDUCED[1]})
    for country, (standard, lower) in RATES.items():
        TaxRate.objects.get_or_create(country=country, tax_class=None, defaults={"rate": Decimal(standard)})
        TaxRate.objects.get_or_create(country=country, tax_class=reduced, defaults={"rate": Decimal(lower)})


def backwards(apps, schema_editor) -> None:
    revoke_app_permissions(apps, schema_editor, APP, list(ROLE_PERMISSIONS))


class Migration(migrations.Migration):

    dependencies = [
        ("taxes", "0001_tax_classes_and_rates"),
        ("store", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
