"""API role checks: the same Django permissions the UI views require.

An anonymous caller gets 401 (DRF turns a refused permission into NotAuthenticated
when no authenticator succeeded); a signed-in user without the permission gets 403.
"""
from rest_framework.permissions import BasePermission


class HasDjangoPermission(BasePermission):
    """Allow a signed-in user who holds `required_perm`."""

    required_perm = ""
    message = "You do not have permission to do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(self.required_perm))


class CanViewStock(HasDjangoPermission):
    required_perm = "inventory.view_stocklevel"
    message = "You do not have permission to view stock."


class CanAdjustStock(HasDjangoPermission):
    required_perm = "inventory.adjust_stock"
    message = "You do not have permission to adjust or count stock."


class CanTransferStock(HasDjangoPermission):
    required_perm = "inventory.transfer_stock"
    message = "You do not have permission to transfer stock between locations."


class CanViewMovements(HasDjangoPermission):
    required_perm = "inventory.view_stockmovement"
    message = "You do not have permission to view the stock history."
