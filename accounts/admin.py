"""The admin site's user pages: a user's role is one choice, changed through
accounts.services (which writes the audit row), and the page lists the role's changes."""
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.template.loader import render_to_string

from accounts.roles import ROLE_ORDER, user_role
from accounts.services import user_role_set
from core.selectors import audit_list_for

User = get_user_model()

ROLE_CHANGES = 50
ROLE_HELP = ("Admins get the admin site and every permission; the other roles get their own permissions. "
             "Each change is recorded, with who made it, under Role changes on the user's page.")


def _role_field() -> forms.ChoiceField:
    return forms.ChoiceField(choices=[("", "---------"), *((role, role) for role in ROLE_ORDER)],
                             help_text=ROLE_HELP)


class UserRoleChangeForm(UserChangeForm):
    role = _role_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["role"].initial = user_role(self.instance)


class UserRoleCreationForm(AdminUserCreationForm):
    role = _role_field()


class StockroomUserAdmin(UserAdmin):
    """Django's user admin, with the groups, staff and superuser boxes replaced by one Role
    choice: the role changes through `user_role_set`, inside the admin's transaction."""

    form = UserRoleChangeForm
    add_form = UserRoleCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("role", "is_active", "is_staff", "is_superuser", "role_changes")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2", "role")}),
    )
    readonly_fields = ("is_staff", "is_superuser", "role_changes", "last_login", "date_joined")
    filter_horizontal = ()

    @admin.display(description="Role changes")
    def role_changes(self, obj) -> str:
        entries = list(audit_list_for(obj=obj, limit=ROLE_CHANGES)) if obj is not None and obj.pk else []
        return render_to_string("accounts/partials/_role_changes.html",
                                {"entries": entries, "limit": ROLE_CHANGES})

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        user = user_role_set(user=obj, role=form.cleaned_data["role"], by=request.user)
        obj.is_staff, obj.is_superuser = user.is_staff, user.is_superuser


admin.site.unregister(User)
admin.site.register(User, StockroomUserAdmin)
