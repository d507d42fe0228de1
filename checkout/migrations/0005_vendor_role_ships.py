# Lets vendors ship their own order lines (checkout.fulfilment; the admin's "Ship" page).
# Written by hand; "role" in its name: tests/conftest.restore_roles re-runs it after a flush.

from django.db import migrations

from store.migration_support import grant_app_permissions

APP = "checkout"
ROLE_PERMISSIONS = {"vendor": ["add_shipment", "view_shipment"]}


def grant(apps, schema_editor) -> None:
    grant_app_permissions(apps, schema_editor, APP, ROLE_PERMISSIONS)


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    permissions = Permission.objects.using(using).filter(content_type__app_label=APP,
                                                         codename__in=ROLE_PERMISSIONS["vendor"])
    for group in Group.objects.using(using).filter(name="vendor"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):

    dependencies = [
        ("checkout", "0004_shipments"),
        ("checkout", "0002_role_permissions"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
    ]
