# Grants the checkout models to the role groups of store/0002_roles. Written by hand.

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen copies, as in store/0002_roles: a migration must not import app code.
VENDOR_PERMISSIONS = ["checkout.view_orderline"]  # only their own products' lines: OrderLineAdmin
ADMINISTRATOR_APP = "checkout"


def ensure_permissions(apps, using: str) -> None:
    # post_migrate creates permissions only after all migrations; they are needed now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None


def grant(apps, schema_editor) -> None:
    using = schema_editor.connection.alias
    ensure_permissions(apps, using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(using).filter(content_type__app_label=ADMINISTRATOR_APP)
    by_name = {f"{ADMINISTRATOR_APP}.{p.codename}": p for p in permissions}
    missing = sorted(set(VENDOR_PERMISSIONS) - by_name.keys())
    if missing:
        raise RuntimeError(f"unknown permissions {missing}")
    vendor, _ = Group.objects.using(using).get_or_create(name="vendor")
    vendor.permissions.add(*(by_name[name] for name in VENDOR_PERMISSIONS))
    administrator, _ = Group.objects.using(using).get_or_create(name="administrator")
    administrator.permissions.add(*permissions)


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    permissions = Permission.objects.using(using).filter(content_type__app_label=ADMINISTRATOR_APP)
    for group in Group.objects.using(using).filter(name__in=["vendor", "administrator"]):
        group.permissions.remove(*permissions)


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
