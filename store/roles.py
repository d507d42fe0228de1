"""Roles are Django groups (created by migration store/0002_roles); these are their names."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group

CUSTOMER = "customer"
VENDOR = "vendor"
MERCHANDISER = "merchandiser"
ADMINISTRATOR = "administrator"

ROLES = (CUSTOMER, VENDOR, MERCHANDISER, ADMINISTRATOR)
# Roles whose members work in the admin site, which requires is_staff.
STAFF_ROLES = frozenset({VENDOR, MERCHANDISER, ADMINISTRATOR})


def assign_role(user: AbstractBaseUser, role: str) -> None:
    """Add ``user`` to the group of ``role``; staff roles also get admin access.

    Adding only: a user may hold several roles, and is_staff is never taken away here.
    A vendor user must also be added to a Vendor's ``users`` to see any product.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    user.groups.add(Group.objects.get(name=role))
    # ModelBackend caches permissions on the instance; the new group's must count at once.
    for cache in ("_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    if role in STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
