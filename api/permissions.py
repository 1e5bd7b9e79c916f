"""API role checks: the same Django permissions the UI views require.

An anonymous caller gets 401 (DRF turns a refused permission into NotAuthenticated
when no authenticator succeeded); a signed-in user without the permission gets 403.
"""
from rest_framework.permissions import SAFE_METHODS, BasePermission


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


class ReadWritePermission(BasePermission):
    """Reads (GET, HEAD, OPTIONS) need `read_perm`; anything else needs `write_perm`.

    For one URL that lists with GET and creates with POST.
    """

    read_perm = ""
    write_perm = ""
    read_message = "You do not have permission to do this."
    write_message = "You do not have permission to do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        reading = request.method in SAFE_METHODS
        self.message = self.read_message if reading else self.write_message
        return user.has_perm(self.read_perm if reading else self.write_perm)


class CanValidateCart(HasDjangoPermission):
    required_perm = "inventory.view_stocklevel"
    message = "You do not have permission to view stock."


class CanListOrCreateReservations(ReadWritePermission):
    read_perm = "inventory.view_reservation"
    write_perm = "inventory.add_reservation"
    read_message = "You do not have permission to view reservations."
    write_message = "You do not have permission to create reservations."


class CanViewReservations(HasDjangoPermission):
    required_perm = "inventory.view_reservation"
    message = "You do not have permission to view reservations."


class CanCommitReservations(HasDjangoPermission):
    required_perm = "inventory.commit_reservation"
    message = "You do not have permission to commit or release reservations."


class CanCheckout(HasDjangoPermission):
    required_perm = "orders.add_salesorder"
    message = "You do not have permission to create orders."


class CanListOrCreateOrders(ReadWritePermission):
    read_perm = "orders.view_salesorder"
    write_perm = "orders.add_salesorder"
    read_message = "You do not have permission to view orders."
    write_message = "You do not have permission to create orders."


class CanViewOrders(HasDjangoPermission):
    required_perm = "orders.view_salesorder"
    message = "You do not have permission to view orders."


class CanTransitionOrders(HasDjangoPermission):
    """Moving an order along; refunding it needs REFUND_PERM as well (checked in the view,
    which knows the target status only after parsing the body)."""

    required_perm = "orders.transition_salesorder"
    message = "You do not have permission to change the status of orders."


REFUND_PERM = "orders.refund_salesorder"
PRICES_PERM = "inventory.view_prices"
