"""Admin pages for debugging Stripe: received events with outcome and payload; orders; reservations."""
import pytest
from django.urls import reverse

from orders.models import StripeEvent
from tests.orders import stripe_signing as stripe


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = stripe.SECRET


@pytest.fixture
def delivered(client, stocked):
    """One processed checkout event and one ignored event, received through the webhook."""
    level = stocked(10)
    order, reservation = stripe.checkout_order(level, quantity=2)
    session = stripe.checkout_session(order, reservation)
    session["metadata"]["note"] = "<script>alert(1)</script>"
    completed = stripe.event("checkout.session.completed", session)
    ignored = stripe.event("customer.created", {"id": "cus_test_1", "object": "customer"})
    for evt in (completed, ignored):
        assert stripe.post(client, evt).status_code == 200
    return order, reservation, completed, ignored


def test_stripe_event_admin_lists_events_with_outcome_and_filters(admin_client, delivered):
    order, _, completed, ignored = delivered

    page = admin_client.get(reverse("admin:orders_stripeevent_changelist"))

    assert page.status_code == 200
    text = page.content.decode()
    assert completed["id"] in text and ignored["id"] in text
    assert "Processed" in text and "Ignored" in text and order.number in text
    filtered = admin_client.get(reverse("admin:orders_stripeevent_changelist"), {"outcome__exact": "IGNORED"})
    assert ignored["id"] in filtered.content.decode() and completed["id"] not in filtered.content.decode()
    by_type = admin_client.get(reverse("admin:orders_stripeevent_changelist"), {"type": "checkout.session.completed"})
    assert completed["id"] in by_type.content.decode() and ignored["id"] not in by_type.content.decode()


def test_stripe_event_admin_detail_shows_the_payload_escaped_and_cannot_edit(admin_client, delivered):
    _, _, completed, _ = delivered
    record = StripeEvent.objects.get(event_id=completed["id"])

    page = admin_client.get(reverse("admin:orders_stripeevent_change", args=[record.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "<pre>" in text and '"amount_total": 3998' in text.replace("&quot;", '"')
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert 'name="_save"' not in text
    assert admin_client.get(reverse("admin:orders_stripeevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:orders_stripeevent_delete", args=[record.pk]), {"post": "yes"}).status_code == 403
    assert StripeEvent.objects.filter(pk=record.pk).exists()


def test_sales_order_admin_searches_and_shows_lines(admin_client, delivered):
    order, _, _, _ = delivered

    found = admin_client.get(reverse("admin:orders_salesorder_changelist"), {"q": order.number, "status__exact": "CONFIRMED"})
    detail = admin_client.get(reverse("admin:orders_salesorder_change", args=[order.pk]))

    assert found.status_code == 200 and order.number in found.content.decode()
    assert detail.status_code == 200
    assert order.lines.get().variant.sku in detail.content.decode()


def test_reservation_admin_is_read_only_with_lines(admin_client, delivered):
    _, reservation, _, _ = delivered

    listing = admin_client.get(reverse("admin:inventory_reservation_changelist"), {"status__exact": "COMMITTED"})
    detail = admin_client.get(reverse("admin:inventory_reservation_change", args=[reservation.pk]))

    assert listing.status_code == 200 and reservation.reference in listing.content.decode()
    assert detail.status_code == 200 and reservation.lines.get().variant.sku in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse("admin:inventory_reservation_add")).status_code == 403


def test_stripe_event_admin_needs_staff(staff_client, delivered):
    response = staff_client.get(reverse("admin:orders_stripeevent_changelist"))

    assert response.status_code == 302
