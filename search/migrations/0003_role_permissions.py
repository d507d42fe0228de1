# Grants the search models to the role groups of store/0002_roles. Written by hand.

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen copies, as in store/0002_roles: a migration must not import app code.
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
    permissions = Permission.objects.using(using).filter(content_type__app_label=APP)
    by_codename = {p.codename: p for p in permissions}
    missing = sorted(set(MERCHANDISER_PERMISSIONS) - by_codename.keys())
    if missing:
        # A typo here would silently give the role fewer rights than intended.
        raise RuntimeError(f"unknown permissions {missing}")
    merchandiser, _ = Group.objects.using(using).get_or_create(name="merchandiser")
    merchandiser.permissions.add(*(by_codename[name] for name in MERCHANDISER_PERMISSIONS))
    administrator, _ = Group.objects.using(using).get_or_create(name="administrator")
    administrator.permissions.add(*permissions)


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    permissions = Permission.objects.using(using).filter(content_type__app_label=APP)
    for group in Group.objects.using(using).filter(name__in=["merchandiser", "administrator"]):
        group.permissions.remove(*permissions)


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
