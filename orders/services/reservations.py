"""Committing or releasing a reservation on its own, outside an order.

A reservation that belongs to a sales order moves with the order (ship, cancel, Stripe's
events), which also keeps the order's lines' sold quantities; committing or releasing it
alone would not. These services refuse such a reservation and hand any other to the
inventory service.
"""
from core.exceptions import IllegalTransition
from inventory.models import Reservation
from inventory.services import ReservationResult, reservation_commit, reservation_release


def _refuse_order_reservation(reservation: Reservation, *, action: str) -> None:
    # A reservation's sales order is set when it is created and never changes, so this
    # check needs no lock; the inventory service locks the reservation for the change.
    if reservation.sales_order_id is not None:
        raise IllegalTransition(
            f"Reservation {reservation.pk} belongs to order {reservation.sales_order.number}: "
            f"{action} it through the order instead."
        )


def reservation_commit_standalone(*, reservation: Reservation, user=None) -> ReservationResult:
    """Sell what a reservation that belongs to no order holds (inventory's reservation_commit).

    IllegalTransition (409) for an order's reservation: ship the order instead.
    """
    _refuse_order_reservation(reservation, action="ship")
    return reservation_commit(reservation=reservation, user=user)


def reservation_release_standalone(*, reservation: Reservation) -> ReservationResult:
    """Give back what a reservation that belongs to no order holds (inventory's reservation_release).

    IllegalTransition (409) for an order's reservation: cancel the order instead.
    """
    _refuse_order_reservation(reservation, action="cancel")
    return reservation_release(reservation=reservation)
