"""Functions the role-permission data migrations share (store, checkout, search).

Migrations import these, so their behaviour is part of migration history: extend with
new functions rather than changing what these do."""

from __future__ import annotations

from django.contrib.auth.management import create_permissions


def ensure_permissions(apps, using: str) -> None:
    """Permissions are normally created by post_migrate, i.e. after *all* migrations,
    so on a fresh database they do not exist yet when a data migration runs."""
    for app_config in apps.get_app_configs():
        # Historical app configs have no models module; create_permissions skips those.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None


def grant_app_permissions(apps, schema_editor, app_label: str, role_codenames: dict[str, list[str]]) -> None:
    """Give each role the named permissions (codenames) of ``app_label``, and the
    administrator every permission of it."""
    using = schema_editor.connection.alias
    ensure_permissions(apps, using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(using).filter(content_type__app_label=app_label)
    by_codename = {p.codename: p for p in permissions}
    for role, codenames in role_codenames.items():
        missing = sorted(set(codenames) - by_codename.keys())
        if missing:
            # A typo here would silently give the role fewer rights than intended.
            raise RuntimeError(f"role {role!r}: unknown permissions {missing}")
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.add(*(by_codename[name] for name in codenames))
    administrator, _ = Group.objects.using(using).get_or_create(name="administrator")
    administrator.permissions.add(*permissions)


def revoke_app_permissions(apps, schema_editor, app_label: str, roles: list[str]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    permissions = Permission.objects.using(using).filter(content_type__app_label=app_label)
    for group in Group.objects.using(using).filter(name__in=[*roles, "administrator"]):
        group.permissions.remove(*permissions)
