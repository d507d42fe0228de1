# Grants the checkout models to the role groups of store/0002_roles. Written by hand.

from django.db import migrations

from store.migration_support import grant_app_permissions, revoke_app_permissions

# Frozen copies, as in store/0002_roles: the permission names as they stood.
APP = "checkout"
ROLE_PERMISSIONS = {"vendor": ["view_orderline"]}  # only their own products' lines: OrderLineAdmin


def grant(apps, schema_editor) -> None:
    grant_app_permissions(apps, schema_editor, APP, ROLE_PERMISSIONS)


def revoke(apps, schema_editor) -> None:
    revoke_app_permissions(apps, schema_editor, APP, list(ROLE_PERMISSIONS))


class Migration(migrations.Migration):

    dependencies = [
        ("checkout", "0001_initial"),
        ("store", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
    ]
