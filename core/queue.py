"""Queue Celery tasks by name once the current transaction commits.

Services call `enqueue_on_commit("dataio.tasks.export_run_task", job.pk)` instead of
importing the task: task modules import services, never the reverse.
"""
import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """Queue the task named `task_name` with these arguments when the current transaction
    commits (at once outside a transaction); nothing when it rolls back.

    The data is already committed when the task is sent, so a broker that cannot be reached
    is logged rather than raised into the caller. A registered task is sent through its own
    `apply_async`, so it runs inline under CELERY_TASK_ALWAYS_EAGER.
    """
    def send() -> None:
        try:
            current_app.signature(task_name, args=args, kwargs=kwargs).apply_async()
        except Exception:
            logger.exception("Could not queue %s%r", task_name, args)

    transaction.on_commit(send, robust=True)
