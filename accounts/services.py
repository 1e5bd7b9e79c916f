from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.roles import ADMIN, ROLE_ORDER
from core.exceptions import ValidationFailed

User = get_user_model()


@transaction.atomic
def user_create(*, username: str, password: str, role: str, email: str = "") -> User:
    if role not in ROLE_ORDER:
        raise ValidationFailed(f"Unknown role {role!r}.", field="role")
    user = User.objects.create_user(username=username, password=password, email=email)
    user.is_staff = role == ADMIN  # the Django admin site is for Admins only
    user.is_superuser = role == ADMIN
    user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.set([Group.objects.get(name=role)])
    return user


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
