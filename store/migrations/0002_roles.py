# Roles as Django groups. Written by hand; see store/roles.py for the names used in code.

from django.db import migrations

from store.migration_support import ensure_permissions

# A frozen copy of the role definitions: a migration must not depend on app code
# that may change after it was written (store.migration_support is kept stable). Each entry is "app_label.codename".
ROLE_PERMISSIONS = {
    "customer": [
        "store.add_review",
        "store.view_review",
    ],
    # Isolation to the vendor's own products is enforced by ProductAdmin, not by
    # these (model-wide) permissions; hence no store.manage_all_products here.
    "vendor": [
        "store.add_product",
        "store.change_product",
        "store.view_product",
        "store.delete_product",
        "store.add_productimage",
        "store.change_productimage",
        "store.delete_productimage",
        "store.view_productimage",
        "store.view_brand",
        "store.view_category",
        "store.view_attributedefinition",
        "store.view_review",
    ],
    "merchandiser": [
        "store.change_product",
        "store.view_product",
        "store.manage_all_products",
        "store.view_productimage",
        "store.add_category",
        "store.change_category",
        "store.view_category",
        "store.add_brand",
        "store.change_brand",
        "store.view_brand",
        "store.add_attributedefinition",
        "store.change_attributedefinition",
        "store.view_attributedefinition",
        "store.change_review",  # moderation: approve / reject
        "store.view_review",
        "store.view_vendor",
        # The search merchandising rules (synonyms, boosts, pins, redirects) will be
        # granted to this group by the migration that adds those models.
    ],
}
# The administrator gets every permission of these apps (as they stand when this
# migration runs: models added later must extend the group in their own migration),
# plus the management of users and groups.
ADMINISTRATOR_APPS = ["store", "indexing"]
ADMINISTRATOR_AUTH_MODELS = ["user", "group"]
ALL_ROLES = [*ROLE_PERMISSIONS, "administrator"]


def create_roles(apps, schema_editor) -> None:
    using = schema_editor.connection.alias
    ensure_permissions(apps, using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(using).select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in permissions}

    for role, names in ROLE_PERMISSIONS.items():
        missing = sorted(set(names) - by_name.keys())
        if missing:
            # A typo here would silently give a role fewer rights than intended.
            raise RuntimeError(f"role {role!r}: unknown permissions {missing}")
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.add(*(by_name[name] for name in names))

    administrator, _ = Group.objects.using(using).get_or_create(name="administrator")
    administrator.permissions.add(
        *permissions.filter(content_type__app_label__in=ADMINISTRATOR_APPS),
        *permissions.filter(content_type__app_label="auth", content_type__model__in=ADMINISTRATOR_AUTH_MODELS),
    )


def delete_roles(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ALL_ROLES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("store", "0001_initial"),
        ("indexing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, delete_roles),
    ]
