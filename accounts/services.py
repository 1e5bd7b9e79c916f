from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.roles import ADMIN, ROLE_ORDER, user_role
from core.audit import audit_changes, audit_record
from core.exceptions import ValidationFailed

User = get_user_model()


def _clean_role(role: str) -> str:
    if role not in ROLE_ORDER:
        raise ValidationFailed(f"Unknown role {role!r}: the role must be one of {', '.join(ROLE_ORDER)}.",
                               field="role")
    return role


def _role_state(user: User) -> dict:
    """What a role decides about a user, as the audit trail records it (no role: None)."""
    return {"role": user_role(user) or None, "is_staff": user.is_staff, "is_superuser": user.is_superuser}


@transaction.atomic
def user_create(*, username: str, password: str, role: str, email: str = "", by=None) -> User:
    """Create a user with a role. The audit trail records the initial role and who gave it."""
    role = _clean_role(role)
    user = User.objects.create_user(username=username, password=password, email=email)
    user.is_staff = role == ADMIN  # the Django admin site is for Admins only
    user.is_superuser = role == ADMIN
    user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.set([Group.objects.get(name=role)])
    audit_record(user=by, action="user.create", obj=user, changes={"role": [None, role]})
    return user


def user_role_set(*, user: User, role: str, by=None) -> User:
    """Give `user` the role `role` (one of accounts.roles.ROLE_ORDER): it becomes their only
    role group, and the Admin role alone gets the admin site (is_staff) and every permission
    (is_superuser). Groups that are not roles are left alone.

    The audit trail records who changed the role, from what to what, in the same
    transaction; nothing is written when the user already has exactly this role.
    Every change of a role goes through here: the admin site's user form and `set_role`.
    """
    role = _clean_role(role)
    with transaction.atomic():
        locked = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        before = _role_state(locked)
        role_groups = sorted(locked.groups.filter(name__in=ROLE_ORDER).values_list("name", flat=True))
        if before == {"role": role, "is_staff": role == ADMIN, "is_superuser": role == ADMIN} \
                and role_groups == [role]:
            return locked
        locked.is_staff = role == ADMIN
        locked.is_superuser = role == ADMIN
        locked.save(update_fields=["is_staff", "is_superuser"])
        locked.groups.remove(*Group.objects.filter(name__in=ROLE_ORDER).exclude(name=role))
        locked.groups.add(Group.objects.get(name=role))
        changes = audit_changes(before=before, after=_role_state(locked))
        if "role" not in changes:
            # The role stays (e.g. a second role group is dropped): say which groups changed.
            changes["role_groups"] = [role_groups, [role]]
        audit_record(user=by, action="user.role_change", obj=locked, changes=changes)
    return locked


@transaction.atomic
def admin_ensure(*, username: str, password: str) -> tuple[User, bool]:
    """Make sure an Admin with this username exists; set its password when created."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    return user_create(username=username, password=password, role=ADMIN), True


def api_token_get_or_create(*, user: User) -> Token:
    token, _ = Token.objects.get_or_create(user=user)
    return token
