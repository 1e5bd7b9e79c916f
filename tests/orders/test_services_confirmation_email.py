"""The payment confirmation email: asked for inside the transaction, sent once after its commit."""
import importlib
import smtplib
import threading

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from orders.models import OrderEvent, SalesOrder
from orders.services import OrderLineRequest, sales_order_create
from orders.services.orders import order_confirmation_email_queue, order_confirmation_email_send
from orders.tasks import order_confirmation_email_task
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads
from tests.orders import stripe_signing as stripe

SENT = "Confirmation email sent to buyer@example.com."


@pytest.fixture
def order(db, stocked):
    level = stocked(5)
    return sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=1)],
                              customer_email="buyer@example.com")


def sent_at(order):
    return SalesOrder.objects.values_list("confirmation_sent_at", flat=True).get(pk=order.pk)


def sent_events(order) -> list[str]:
    return list(order.events.filter(message__startswith="Confirmation email sent").values_list("message", flat=True))


def test_order_confirmation_email_queue_sends_once_after_commit(order, django_capture_on_commit_callbacks,
                                                                mailoutbox):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            order_confirmation_email_queue(order=order)
            assert mailoutbox == []
            assert sent_at(order) is None
        assert mailoutbox == []  # still nothing until the commit's callbacks run

    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["buyer@example.com"]
    assert mailoutbox[0].subject == f"Order {order.number} confirmed"
    assert sent_at(order) >= before
    assert sent_events(order) == [SENT]


def test_order_confirmation_email_queue_rolled_back_sends_nothing(order, django_capture_on_commit_callbacks,
                                                                  mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            order_confirmation_email_queue(order=order)
            raise RuntimeError("the confirming transaction failed")

    assert callbacks == []
    assert mailoutbox == []
    assert sent_at(order) is None
    assert sent_events(order) == []


def test_order_confirmation_email_queue_twice_sends_once(order, django_capture_on_commit_callbacks, mailoutbox):
    stale = SalesOrder.objects.get(pk=order.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_confirmation_email_queue(order=order)
        order_confirmation_email_queue(order=order)
    assert len(callbacks) == 2  # both queued: the sender's claim keeps it to one email
    assert len(mailoutbox) == 1

    # Asked again later, from a copy read before the email left: queued, claimed by nobody.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_confirmation_email_queue(order=stale)
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    # From a fresh copy, nothing is even queued.
    order.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_confirmation_email_queue(order=order)
    assert callbacks == []
    assert len(mailoutbox) == 1
    assert sent_events(order) == [SENT]


def test_order_confirmation_email_queue_without_email_queues_nothing(stocked, django_capture_on_commit_callbacks,
                                                                     mailoutbox):
    level = stocked(5)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=1)])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_confirmation_email_queue(order=order)
    assert callbacks == []
    assert order_confirmation_email_send(order=order) is False
    assert mailoutbox == []
    assert sent_at(order) is None


def test_order_confirmation_email_send_sets_the_field_and_records_the_event(order, mailoutbox):
    assert order_confirmation_email_send(order=order) is True
    first = sent_at(order)
    assert first is not None
    assert order_confirmation_email_send(order=order) is False
    assert sent_at(order) == first
    assert len(mailoutbox) == 1
    assert sent_events(order) == [SENT]


def test_order_confirmation_email_send_refuses_to_run_inside_a_transaction(order, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        order_confirmation_email_send(order=order)
    assert mailoutbox == []
    assert sent_at(order) is None


def test_order_confirmation_email_send_failing_releases_the_claim_and_logs(order, monkeypatch, mailoutbox, caplog):
    def refused(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("orders.services.orders.send_mail", refused)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        order_confirmation_email_send(order=order)

    assert sent_at(order) is None
    assert sent_events(order) == []
    assert f"Confirmation email for order {order.number} failed" in caplog.text
    assert "mail server went away" in caplog.text

    monkeypatch.undo()
    assert order_confirmation_email_send(order=order) is True
    assert len(mailoutbox) == 1
    assert sent_at(order) is not None


def test_order_confirmation_email_task_retries_a_failed_send(order, monkeypatch, mailoutbox):
    from django.core import mail

    real_send_mail = mail.send_mail
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("mail server went away")
        return real_send_mail(*args, **kwargs)

    monkeypatch.setattr("orders.services.orders.send_mail", flaky)
    order_confirmation_email_task.apply(args=(order.pk,))

    assert len(calls) == 2
    assert len(mailoutbox) == 1
    assert sent_at(order) is not None
    assert sent_events(order) == [SENT]


# --- through the webhook ------------------------------------------------------------

@pytest.fixture
def paid_event(settings, stocked):
    settings.STRIPE_WEBHOOK_SECRET = stripe.SECRET
    order, reservation = stripe.checkout_order(stocked(10), quantity=2)
    return order, stripe.event("checkout.session.completed", stripe.checkout_session(order, reservation))


def test_webhook_paid_sends_once_after_commit_and_sets_the_field(client, paid_event,
                                                                 django_capture_on_commit_callbacks, mailoutbox):
    order, evt = paid_event
    with django_capture_on_commit_callbacks(execute=True):
        assert stripe.post(client, evt).status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert stripe.post(client, evt).json()["duplicate"] is True

    assert callbacks == []
    assert len(mailoutbox) == 1
    assert sent_at(order) is not None
    assert sent_events(order) == [SENT]


def test_webhook_rolled_back_after_queueing_sends_nothing(client, paid_event, monkeypatch,
                                                          django_capture_on_commit_callbacks, mailoutbox):
    from orders.services import stripe_events

    order, evt = paid_event
    confirm = stripe_events.order_confirm_paid

    def confirm_then_fail(order, *, record):
        confirm(order, record=record)  # the email is asked for, then the transaction fails
        raise RuntimeError("failed after queueing the email")

    monkeypatch.setattr("orders.services.stripe_events.order_confirm_paid", confirm_then_fail)
    with django_capture_on_commit_callbacks(execute=True):
        assert stripe.post(client, evt).status_code == 500

    assert mailoutbox == []
    assert sent_at(order) is None

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert stripe.post(client, evt).status_code == 200
    assert len(mailoutbox) == 1
    assert sent_events(order) == [SENT]


# --- the data migration ---------------------------------------------------------------

def test_backfill_confirmation_sent_at_from_the_timeline(order, stocked):
    migration = importlib.import_module("orders.migrations.0002_salesorder_confirmation_sent_at")
    other = sales_order_create(lines=[OrderLineRequest(variant=stocked(5).variant, quantity=1)],
                               customer_email="other@example.com")
    first = OrderEvent.objects.create(order=order, message=SENT)
    OrderEvent.objects.create(order=order, message=SENT)
    OrderEvent.objects.create(order=other, message="Order confirmed: stock reserved.")

    migration.backfill_confirmation_sent_at(apps, None)

    assert sent_at(order) == first.created_at
    assert sent_at(other) is None


# --- concurrent senders ------------------------------------------------------------------

@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True, available_apps=[*CONCURRENCY_APPS, "orders", "core"])
@pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks")
def test_order_confirmation_email_send_three_at_once_sends_one(order, mailoutbox):
    barrier = threading.Barrier(3)

    def send(index: int) -> bool:
        barrier.wait()
        return order_confirmation_email_send(order=order)

    run = run_threads(3, send)

    run.raise_errors()
    assert sorted(run.results.values()) == [False, False, True]
    assert len(mailoutbox) == 1
    assert sent_at(order) is not None
    assert sent_events(order) == [SENT]
