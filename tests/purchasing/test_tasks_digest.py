import uuid

import pytest
from django.core import mail

from purchasing.services import low_stock_digest_send
from purchasing.services.alerts import DIGEST_MAX_ROWS
from purchasing.tasks import low_stock_digest_task
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db):
    return {
        "manager": factories.UserFactory(username="mona", email="mona@example.com", role="Manager"),
        "admin": factories.UserFactory(username="ada", email="ada@example.com", role="Admin"),
        "staff": factories.UserFactory(username="sam", email="sam@example.com", role="Staff"),
        "no_email": factories.UserFactory(username="nomail", email="", role="Manager"),
        "former": factories.UserFactory(username="gone", email="gone@example.com", role="Manager", is_active=False),
    }


def test_low_stock_digest_task_emails_managers_and_admins_when_something_is_low(team, stocked):
    critical = stocked(0, threshold=5)
    low = stocked(3, threshold=5)
    stocked(50, threshold=5)

    sent = low_stock_digest_task.delay().get()

    assert sent == 2
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "ada@example.com", "mona@example.com"]
    message = mail.outbox[0]
    assert "2 levels" in message.subject
    assert critical.variant.sku in message.body and low.variant.sku in message.body
    assert message.body.index(critical.variant.sku) < message.body.index(low.variant.sku)
    assert "CRITICAL" in message.body
    assert "10" in message.body  # suggested: twice the threshold


def test_low_stock_digest_send_sends_nothing_when_nothing_is_low(team, stocked):
    stocked(50, threshold=5)

    assert low_stock_digest_send() == 0
    assert mail.outbox == []


def test_low_stock_digest_send_without_recipients_sends_nothing(stocked):
    factories.UserFactory(username="sam", email="sam@example.com", role="Staff")
    stocked(0)

    assert low_stock_digest_send() == 0
    assert mail.outbox == []


def test_low_stock_digest_send_caps_the_list(team, stocked, monkeypatch):
    monkeypatch.setattr("purchasing.services.alerts.DIGEST_MAX_ROWS", 3)
    for _ in range(5):
        stocked(0)

    low_stock_digest_send()

    body = mail.outbox[0].body
    assert "5 stock levels" in body
    assert "and 2 more" in body
    assert DIGEST_MAX_ROWS == 200


def test_low_stock_digest_task_delivered_twice_sends_once(team, stocked):
    stocked(0, threshold=5)
    task_id = f"digest-{uuid.uuid4()}"

    first = low_stock_digest_task.apply(task_id=task_id).get()
    again = low_stock_digest_task.apply(task_id=task_id).get()

    assert (first, again) == (2, 0)
    assert len(mail.outbox) == 2


def test_low_stock_digest_task_gives_its_claim_back_when_sending_fails(team, stocked, monkeypatch):
    from django.core.cache import cache

    stocked(0, threshold=5)
    task_id = f"digest-{uuid.uuid4()}"

    def refuse():
        raise RuntimeError("mail server down")

    monkeypatch.setattr("purchasing.tasks.low_stock_digest_send", refuse)
    with pytest.raises(RuntimeError):
        low_stock_digest_task.apply(task_id=task_id, throw=True).get()
    assert cache.get(f"low-stock-digest:{task_id}") is None
    monkeypatch.undo()

    assert low_stock_digest_task.apply(task_id=task_id).get() == 2
