"""Stripe's events, delivered signed through the webhook, and what each does to orders and stock."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import ReservationStatus, StockMovement
from inventory.services import ledger_verify, reservation_hold, reservations_expire_due
from orders.models import OrderStatus, StripeEvent, StripeEventOutcome
from tests.orders import stripe_signing as stripe

O = StripeEventOutcome


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = stripe.SECRET
    return stripe.SECRET


@pytest.fixture
def pending(stocked):
    """10 units on hand; a checkout order for 2 of them, reserved, waiting for Stripe."""
    level = stocked(10)
    order, reservation = stripe.checkout_order(level, quantity=2)
    return level, order, reservation


def deliver(client, evt: dict, *, status: int = 200) -> dict:
    response = stripe.post(client, evt)
    assert response.status_code == status, response.content
    return response.json()


def completed(order, reservation=None, **kwargs) -> dict:
    return stripe.event("checkout.session.completed", stripe.checkout_session(order, reservation, **kwargs))


def assert_stock(level, on_hand: int, reserved: int) -> None:
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (on_hand, reserved)


def sales_of(order) -> list[tuple[int, int | None]]:
    return list(StockMovement.objects.filter(type="SALE", sales_order=order).values_list("delta", "reservation_id"))


def assert_untouched(level, order, reservation) -> None:
    """Still PENDING, unpaid, 2 units held, nothing sold."""
    assert_stock(level, 10, 2)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not order.is_paid
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.ACTIVE
    assert not StockMovement.objects.filter(type="SALE").exists()


# --- checkout.session.completed ---------------------------------------------------

def test_session_completed_paid_commits_confirms_and_emails_after_commit(
    client, pending, django_capture_on_commit_callbacks, mailoutbox
):
    level, order, reservation = pending
    evt = completed(order, reservation)

    with django_capture_on_commit_callbacks() as callbacks:
        body = deliver(client, evt)
    assert mailoutbox == []  # queued for after the commit, not sent inside the transaction

    assert body == {"received": True, "event": evt["id"], "duplicate": False, "outcome": O.PROCESSED}
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.COMMITTED
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.is_paid and order.amount_paid == Decimal("39.98")
    assert order.stripe_payment_intent_id == f"pi_test_{order.number}"
    assert [line.sold_quantity for line in order.lines.all()] == [2]
    assert sales_of(order) == [(-2, reservation.pk)]
    assert_stock(level, 8, 0)
    record = StripeEvent.objects.get(event_id=evt["id"])
    assert (record.order, record.outcome, record.attempts) == (order, O.PROCESSED, 1)
    assert order.events.filter(stripe_event=record, to_status=OrderStatus.CONFIRMED).exists()

    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["buyer@example.com"]
    assert mailoutbox[0].subject == f"Order {order.number} confirmed"
    assert ledger_verify() == []


def test_session_completed_delivered_again_is_a_no_op(client, pending, django_capture_on_commit_callbacks, mailoutbox):
    level, order, reservation = pending
    evt = completed(order, reservation)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, evt)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        body = deliver(client, evt)

    assert body["duplicate"] is True and body["outcome"] == O.PROCESSED
    assert callbacks == []
    assert len(mailoutbox) == 1
    assert sales_of(order) == [(-2, reservation.pk)]
    assert_stock(level, 8, 0)
    assert StripeEvent.objects.get().attempts == 1
    assert ledger_verify() == []


def test_session_expired_after_completed_changes_nothing(client, pending):
    level, order, reservation = pending
    deliver(client, completed(order, reservation))

    body = deliver(client, stripe.event("checkout.session.expired",
                                        stripe.checkout_session(order, reservation, payment_status="unpaid")))

    assert body["outcome"] == O.IGNORED
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.is_paid
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.COMMITTED
    assert_stock(level, 8, 0)
    assert len(sales_of(order)) == 1
    assert ledger_verify() == []


def _lapse(reservation) -> None:
    """The hold runs out and the expiry sweep gives the stock back."""
    reservation_hold(reservation=reservation, expires_at=timezone.now() - timedelta(minutes=1))
    assert reservations_expire_due() == 1
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED


def test_session_completed_after_expiry_with_stock_left_commits(client, pending):
    level, order, reservation = pending
    _lapse(reservation)
    assert_stock(level, 10, 0)

    body = deliver(client, completed(order, reservation))

    assert body["outcome"] == O.PROCESSED
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.COMMITTED
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.is_paid
    assert sales_of(order) == [(-2, reservation.pk)]
    assert_stock(level, 8, 0)
    assert ledger_verify() == []


def test_session_completed_after_expiry_without_stock_needs_attention(client, pending):
    level, order, reservation = pending
    _lapse(reservation)
    # Meanwhile someone else buys 9 of the 10 units.
    other, other_reservation = stripe.checkout_order(level, quantity=9, email="quicker@example.com")
    deliver(client, completed(other, other_reservation))
    assert_stock(level, 1, 0)

    body = deliver(client, completed(order, reservation))

    assert body["outcome"] == O.PROCESSED
    order.refresh_from_db()
    assert order.status == OrderStatus.NEEDS_ATTENTION
    assert order.is_paid and "could not be taken" in order.attention
    assert "2 requested, 1 available" in order.attention
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED
    assert sales_of(order) == []
    assert_stock(level, 1, 0)
    assert ledger_verify() == []


def test_session_completed_unpaid_holds_then_async_success_commits(client, pending):
    level, order, reservation = pending

    body = deliver(client, completed(order, reservation, payment_status="unpaid"))

    assert body["outcome"] == O.PROCESSED
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.ACTIVE and reservation.expires_at is None
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not order.is_paid
    assert_stock(level, 10, 2)
    assert sales_of(order) == []
    # A hold without an expiry survives the sweep, however late it runs.
    assert reservations_expire_due(now=timezone.now() + timedelta(days=7)) == 0

    body = deliver(client, stripe.event("checkout.session.async_payment_succeeded",
                                        stripe.checkout_session(order, reservation)))

    assert body["outcome"] == O.PROCESSED
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.COMMITTED
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.is_paid
    assert sales_of(order) == [(-2, reservation.pk)]
    assert_stock(level, 8, 0)
    assert ledger_verify() == []


def test_session_async_payment_failed_releases_and_cancels(client, pending):
    level, order, reservation = pending
    deliver(client, completed(order, reservation, payment_status="unpaid"))

    body = deliver(client, stripe.event("checkout.session.async_payment_failed",
                                        stripe.checkout_session(order, reservation, payment_status="unpaid")))

    assert body["outcome"] == O.PROCESSED
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.RELEASED
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and not order.is_paid
    assert_stock(level, 10, 0)
    assert sales_of(order) == []
    assert ledger_verify() == []


# --- refunds --------------------------------------------------------------------------

def test_charge_refunded_before_completion_then_completion_commits_nothing(client, pending):
    level, order, reservation = pending

    body = deliver(client, stripe.event("charge.refunded", stripe.charge(order)))

    assert body["outcome"] == O.PROCESSED
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.RELEASED
    assert_stock(level, 10, 0)

    body = deliver(client, completed(order, reservation))

    assert body["outcome"] == O.IGNORED
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.RELEASED
    assert not StockMovement.objects.filter(type="SALE").exists()
    assert_stock(level, 10, 0)
    assert ledger_verify() == []


def test_charge_refunded_in_full_after_completion_restocks(client, pending):
    level, order, reservation = pending
    deliver(client, completed(order, reservation))

    body = deliver(client, stripe.event("charge.refunded", stripe.charge(order)))

    assert body["outcome"] == O.PROCESSED
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.amount_refunded == Decimal("39.98")
    refunds = StockMovement.objects.filter(type="REFUND", sales_order=order)
    assert list(refunds.values_list("delta", flat=True)) == [2]
    assert [line.restocked_quantity for line in order.lines.all()] == [2]
    assert_stock(level, 10, 0)
    assert ledger_verify() == []


def test_charge_refunded_partially_flags_the_order_and_moves_no_stock(client, pending):
    level, order, reservation = pending
    deliver(client, completed(order, reservation))

    body = deliver(client, stripe.event("charge.refunded", stripe.charge(order, refunded_minor=1999)))

    assert body["outcome"] == O.FLAGGED
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.amount_refunded == Decimal("19.99")
    assert "Partial refund" in order.attention
    assert not StockMovement.objects.filter(type="REFUND").exists()
    assert_stock(level, 8, 0)
    assert ledger_verify() == []


# --- events that do not add up ----------------------------------------------------------

@pytest.mark.parametrize("change, expected", [
    ({"amount": 3997}, "amount"),
    ({"currency": "eur"}, "currency"),
    ({"reservation_id": "999999"}, "Reservation 999999"),
], ids=["amount", "currency", "foreign-reservation"])
def test_session_completed_that_does_not_match_the_order_is_flagged(client, pending, change, expected):
    level, order, reservation = pending
    session = stripe.checkout_session(order, reservation, amount=change.get("amount"), currency=change.get("currency"))
    if "reservation_id" in change:
        session["metadata"]["reservation_id"] = change["reservation_id"]

    body = deliver(client, stripe.event("checkout.session.completed", session))

    assert body["outcome"] == O.FLAGGED
    record = StripeEvent.objects.get()
    assert record.order == order and expected in record.message
    assert_untouched(level, order, reservation)
    order.refresh_from_db()
    assert expected in order.attention and "nothing was fulfilled" in order.attention
    assert ledger_verify() == []


def test_session_completed_for_an_unknown_order_is_flagged(client, pending):
    level, order, reservation = pending

    body = deliver(client, completed(order, reservation, order_number="SO-999999"))

    assert body["outcome"] == O.FLAGGED
    record = StripeEvent.objects.get()
    assert record.order is None and "SO-999999" in record.message
    assert_untouched(level, order, reservation)


def test_session_completed_paid_for_an_order_holding_no_stock_is_flagged_once(client, stocked):
    from orders.services import OrderLineRequest, sales_order_create

    level = stocked(10)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=2)])
    evt = completed(order)

    body = deliver(client, evt)
    assert deliver(client, evt)["duplicate"] is True

    assert body["outcome"] == O.FLAGGED
    order.refresh_from_db()
    assert order.is_paid and order.status == OrderStatus.PENDING
    assert "no stock" in order.attention
    assert_stock(level, 10, 0)
    assert StripeEvent.objects.get().processed_at is not None


def test_unknown_event_type_is_recorded_as_ignored(client, db):
    evt = stripe.event("customer.created", {"id": "cus_test_1", "object": "customer"})

    body = deliver(client, evt)

    assert body == {"received": True, "event": evt["id"], "duplicate": False, "outcome": O.IGNORED}
    record = StripeEvent.objects.get()
    assert (record.type, record.outcome, record.order) == ("customer.created", O.IGNORED, None)
    assert record.processed_at is not None


# --- payment failures -----------------------------------------------------------------

@pytest.mark.parametrize("type", ["payment_intent.payment_failed", "payment_intent.canceled", "checkout.session.expired"])
def test_payment_failure_releases_and_cancels(client, pending, type):
    level, order, reservation = pending
    if type.startswith("payment_intent."):
        obj = stripe.payment_intent(order, status="canceled" if type.endswith("canceled") else "requires_payment_method")
    else:
        obj = stripe.checkout_session(order, reservation, payment_status="unpaid")

    body = deliver(client, stripe.event(type, obj))

    assert body["outcome"] == O.PROCESSED
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.RELEASED
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert_stock(level, 10, 0)
    assert ledger_verify() == []


# --- a handler that fails ---------------------------------------------------------------

def test_handler_failing_after_its_stock_write_rolls_back_and_redelivery_applies_once(
    client, pending, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    level, order, reservation = pending
    evt = completed(order, reservation)

    def confirm_fails(order, *, record):
        raise RuntimeError("confirmation exploded")

    monkeypatch.setattr("orders.services.stripe_events.order_confirm_paid", confirm_fails)
    with django_capture_on_commit_callbacks(execute=True):
        response = stripe.post(client, evt)

    assert response.status_code == 500
    assert "retried" in response.json()["detail"]
    assert_untouched(level, order, reservation)
    assert mailoutbox == []
    record = StripeEvent.objects.get(event_id=evt["id"])
    assert record.processed_at is None
    assert (record.outcome, record.attempts) == (O.FAILED, 1)
    assert "RuntimeError: confirmation exploded" in record.message
    assert ledger_verify() == []

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        body = deliver(client, evt)

    assert body == {"received": True, "event": evt["id"], "duplicate": False, "outcome": O.PROCESSED}
    record.refresh_from_db()
    assert record.processed_at is not None and (record.outcome, record.attempts) == (O.PROCESSED, 2)
    assert sales_of(order) == [(-2, reservation.pk)]
    assert_stock(level, 8, 0)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert len(mailoutbox) == 1

    assert deliver(client, evt)["duplicate"] is True
    assert len(sales_of(order)) == 1
    assert ledger_verify() == []


# --- text PostgreSQL cannot store: NUL and lone surrogates ------------------------------

def assert_log_printable(caplog) -> None:
    """No record carries a control character or a lone surrogate, tracebacks included."""
    for line in caplog.text.split("\n"):
        assert line.isprintable(), repr(line)
    assert all(record.getMessage().isprintable() for record in caplog.records)


@pytest.mark.parametrize("field, value", [
    ("id", "evt_test_\u0000nul"),
    ("id", "evt_test_\ud800"),
    ("id", "evt_test_\x1b[2J\nforged"),
    ("type", "checkout.session.completed\u0000"),
    ("type", "checkout.session.completed\udfff"),
], ids=["id-nul", "id-lone-surrogate", "id-escape-newline", "type-nul", "type-lone-surrogate"])
def test_event_whose_id_or_type_cannot_be_stored_is_refused(client, pending, caplog, field, value):
    level, order, reservation = pending
    evt = completed(order, reservation)
    evt[field] = value

    body = deliver(client, evt, status=400)

    assert body["detail"].startswith(f"The event's {field} holds a control character")
    assert not StripeEvent.objects.exists()
    assert_untouched(level, order, reservation)
    assert_log_printable(caplog)


def test_event_payload_with_nul_and_lone_surrogates_is_applied_and_stored_sanitised(client, pending, caplog):
    level, order, reservation = pending
    evt = completed(order, reservation)
    evt["data"]["object"]["metadata"].update({"note": "a\u0000b\ud800c", "\u0000key": ["\udc00", "ok\x1b"]})

    body = deliver(client, evt)

    assert body["outcome"] == O.PROCESSED
    record = StripeEvent.objects.get()
    metadata = record.payload["data"]["object"]["metadata"]
    assert metadata["note"] == "a\ufffdb\ufffdc"
    assert metadata["\ufffdkey"] == ["\ufffd", "ok\x1b"]  # storable control characters are kept as sent
    assert metadata["order_number"] == order.number
    assert_stock(level, 8, 0)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert_log_printable(caplog)


@pytest.mark.parametrize("suffix", ["\u0000", "\ud800"], ids=["nul", "lone-surrogate"])
def test_event_naming_an_order_with_unstorable_text_is_flagged_and_changes_nothing(client, pending, caplog, suffix):
    level, order, reservation = pending

    body = deliver(client, completed(order, reservation, order_number=order.number + suffix))

    assert body["outcome"] == O.FLAGGED
    record = StripeEvent.objects.get()
    assert record.order is None and f"{order.number}\ufffd" in record.message
    assert record.payload["data"]["object"]["client_reference_id"] == f"{order.number}\ufffd"
    assert_untouched(level, order, reservation)
    assert_log_printable(caplog)


def test_event_failing_with_unstorable_text_records_the_failure_and_logs_it_escaped(
    client, pending, monkeypatch, caplog
):
    level, order, reservation = pending
    evt = completed(order, reservation)
    evt["data"]["object"]["metadata"]["note"] = "\u0000\ud800"

    def confirm_fails(order, *, record):
        raise RuntimeError("confirmation exploded on \x00 \x1b[31m \ud800")

    monkeypatch.setattr("orders.services.stripe_events.order_confirm_paid", confirm_fails)
    response = stripe.post(client, evt)

    assert response.status_code == 500
    record = StripeEvent.objects.get(event_id=evt["id"])
    assert (record.outcome, record.attempts, record.processed_at) == (O.FAILED, 1, None)
    assert record.message == "RuntimeError: confirmation exploded on \ufffd \x1b[31m \ufffd"
    assert record.payload["data"]["object"]["metadata"]["note"] == "\ufffd\ufffd"
    assert_untouched(level, order, reservation)
    assert_log_printable(caplog)
    assert "confirmation exploded on \\x00 \\x1b[31m \\ud800" in caplog.text

    monkeypatch.undo()
    assert deliver(client, evt)["outcome"] == O.PROCESSED
    record.refresh_from_db()
    assert (record.outcome, record.attempts) == (O.PROCESSED, 2)
    assert_stock(level, 8, 0)


def test_event_nested_deeper_than_any_stripe_event_is_refused(client, pending):
    level, order, reservation = pending
    evt = completed(order, reservation)
    nested: dict = {}
    for _ in range(200):
        nested = {"a": nested}
    evt["data"]["object"]["metadata"]["deep"] = nested

    body = deliver(client, evt, status=400)

    assert "nested deeper than" in body["detail"]
    assert not StripeEvent.objects.exists()
    assert_untouched(level, order, reservation)
