"""Recording a Stripe event's failure is best effort: whatever the event holds, it never raises."""
import pytest

from orders.models import StripeEvent, StripeEventOutcome
from orders.services import stripe_event_record_failure
from orders.services.stripe_events import MAX_EVENT_DEPTH


def _event(id: str = "evt_test_failure", type: str = "checkout.session.completed", obj=None) -> dict:
    return {"id": id, "type": type, "data": {"object": {} if obj is None else obj}}


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text for this one")


def test_stripe_event_record_failure_stores_unstorable_text_sanitised(db):
    event = _event(obj={"\u0000": "a\ud800", "list": ["\udfff", 1, None, True]})

    stripe_event_record_failure(event=event, error=ValueError("bad \u0000 value \ud800"))

    record = StripeEvent.objects.get()
    assert (record.event_id, record.outcome, record.attempts, record.processed_at) == (
        "evt_test_failure", StripeEventOutcome.FAILED, 1, None)
    assert record.message == "ValueError: bad \ufffd value \ufffd"
    assert record.payload["data"]["object"] == {"\ufffd": "a\ufffd", "list": ["\ufffd", 1, None, True]}
    # the caller's event is left as it was
    assert event["data"]["object"] == {"\u0000": "a\ud800", "list": ["\udfff", 1, None, True]}


@pytest.mark.parametrize("event", [
    _event(id="evt_\u0000"),
    _event(id="evt_\ud800"),
    _event(type="checkout\u0000"),
    {"type": "checkout.session.completed"},
    {"id": 7, "type": "checkout.session.completed"},
], ids=["id-nul", "id-lone-surrogate", "type-nul", "no-id", "id-not-text"])
def test_stripe_event_record_failure_without_a_storable_id_or_type_logs_and_stores_nothing(db, caplog, event):
    stripe_event_record_failure(event=event, error=RuntimeError("boom"))

    assert not StripeEvent.objects.exists()
    assert "failure not recorded" in caplog.text


def test_stripe_event_record_failure_of_a_payload_nested_too_deep_logs_and_stores_nothing(db, caplog):
    nested: dict = {}
    for _ in range(MAX_EVENT_DEPTH + 5):
        nested = {"a": nested}

    stripe_event_record_failure(event=_event(obj=nested), error=RuntimeError("boom"))

    assert not StripeEvent.objects.exists()
    assert "Could not record the failure of Stripe event 'evt_test_failure'" in caplog.text


def test_stripe_event_record_failure_with_an_error_that_cannot_be_printed_names_its_class(db):
    stripe_event_record_failure(event=_event(), error=Unprintable())

    assert StripeEvent.objects.get().message == "Unprintable"


def test_stripe_event_record_failure_on_a_processed_event_changes_nothing(db):
    from orders.services import stripe_event_handle

    event = _event(type="customer.created")
    stripe_event_handle(event=event)

    stripe_event_record_failure(event=event, error=RuntimeError("late"))

    record = StripeEvent.objects.get()
    assert (record.outcome, record.attempts) == (StripeEventOutcome.IGNORED, 1)
