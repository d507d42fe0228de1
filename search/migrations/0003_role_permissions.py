# Grants the search models to the role groups of store/0002_roles. Written by hand.

from django.db import migrations

from store.migration_support import grant_app_permissions, revoke_app_permissions

# Frozen copies, as in store/0002_roles: the permission names as they stood.
APP = "search"
RULE_MODELS = [
    "synonymset", "boostrule", "pinrule", "pinnedproduct", "redirect", "fieldweights",
    "facetsetting", "pricebucketing",
]
ANALYTICS_MODELS = ["searchevent", "clickevent"]
MERCHANDISER_PERMISSIONS = [
    *(f"{action}_{model}" for model in RULE_MODELS for action in ("add", "change", "delete", "view")),
    *(f"view_{model}" for model in ANALYTICS_MODELS),
]


def grant(apps, schema_editor) -> None:
    grant_app_permissions(apps, schema_editor, APP, {"merchandiser": MERCHANDISER_PERMISSIONS})


def revoke(apps, schema_editor) -> None:
    revoke_app_permissions(apps, schema_editor, APP, ["merchandiser"])


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0002_facets_and_analytics"),
        ("store", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
    ]
