"""Stripe delivers the same event three times at once: it is applied exactly once."""
import json
import threading

import pytest
from django.db import connection
from django.test import RequestFactory

from inventory.models import ReservationStatus, StockMovement
from inventory.services import ledger_verify
from orders.models import OrderStatus, StripeEvent, StripeEventOutcome
from orders.webhooks import stripe_webhook_view
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads
from tests.orders import stripe_signing as stripe

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=[*CONCURRENCY_APPS, "orders", "core"]),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]

DELIVERIES = 3


def test_stripe_webhook_same_event_three_times_at_once_commits_once(stocked, settings, mailoutbox):
    settings.STRIPE_WEBHOOK_SECRET = stripe.SECRET
    level = stocked(10)
    order, reservation = stripe.checkout_order(level, quantity=3)
    body = stripe.encode(stripe.event("checkout.session.completed", stripe.checkout_session(order, reservation)))
    barrier = threading.Barrier(DELIVERIES)

    def deliver(index: int):
        # The view itself, without the middleware: the test's available_apps leave out auth
        # and sessions (so the role groups survive the flush), which the middleware needs.
        signature = stripe.sign(body)  # each delivery is signed afresh, as Stripe does
        request = RequestFactory().post(stripe.URL, data=body, content_type="application/json",
                                        headers={"Stripe-Signature": signature})
        barrier.wait()
        response = stripe_webhook_view(request)
        return response.status_code, json.loads(response.content)

    run = run_threads(DELIVERIES, deliver)

    run.raise_errors()
    assert [status for status, _ in run.results.values()] == [200] * DELIVERIES
    answers = [answer for _, answer in run.results.values()]
    assert sorted(answer["duplicate"] for answer in answers) == [False] + [True] * (DELIVERIES - 1)
    assert {answer["outcome"] for answer in answers} == {StripeEventOutcome.PROCESSED}
    record = StripeEvent.objects.get()
    assert (record.order_id, record.attempts) == (order.pk, 1)
    sales = StockMovement.objects.filter(type="SALE")
    assert list(sales.values_list("sales_order_id", "reservation_id", "delta")) == [(order.pk, reservation.pk, -3)]
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (7, 0)
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.COMMITTED
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.events.filter(to_status=OrderStatus.CONFIRMED).count() == 1
    assert len(mailoutbox) == 1  # sent once, after the winning delivery committed
    assert ledger_verify() == []
