"""core.queue: tasks queued by name, after the commit, never on a rollback."""
import logging

import pytest
from celery import current_app, shared_task
from django.db import transaction
from kombu.exceptions import OperationalError

from core.queue import enqueue_on_commit

PROBE = "tests.core.queue_probe_task"
calls: list[tuple] = []


@shared_task(name=PROBE)
def queue_probe_task(*args, **kwargs) -> None:
    calls.append((args, kwargs))


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()
    yield
    calls.clear()


def test_enqueue_on_commit_queues_after_commit_only(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            enqueue_on_commit(PROBE, 7, kind="full")
            assert calls == []
    assert len(callbacks) == 1
    assert calls == []

    callbacks[0]()

    assert calls == [((7,), {"kind": "full"})]


def test_enqueue_on_commit_queues_nothing_on_rollback(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                enqueue_on_commit(PROBE, 7)
                raise RuntimeError("rolled back")

    assert callbacks == []
    assert calls == []


def test_enqueue_on_commit_runs_the_task_by_name(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            enqueue_on_commit(PROBE, 1, 2)

    assert calls == [((1, 2), {})]


def test_enqueue_on_commit_logs_a_broker_outage_instead_of_raising(db, django_capture_on_commit_callbacks,
                                                                   monkeypatch, caplog):
    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(current_app.tasks[PROBE], "apply_async", broker_down)
    with caplog.at_level(logging.ERROR, logger="core.queue"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                enqueue_on_commit(PROBE, 3)

    assert len(callbacks) == 1
    assert calls == []
    assert f"Could not queue {PROBE}(3,)" in caplog.text


@pytest.mark.parametrize("name", [
    "backups.tasks.backup_create_task",
    "backups.tasks.restore_run_task",
    "dataio.tasks.export_run_task",
    "dataio.tasks.import_process_task",
    "orders.tasks.order_confirmation_email_task",
])
def test_enqueue_on_commit_task_names_are_registered_at_startup(name):
    assert name in current_app.tasks
