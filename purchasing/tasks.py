import logging

from celery import shared_task
from django.core.cache import cache

from purchasing.services import low_stock_digest_send, reorder_rules_run

logger = logging.getLogger(__name__)


@shared_task(name="purchasing.tasks.reorder_rules_run_task")
def reorder_rules_run_task() -> int:
    """The nightly min/max run (beat). Drafts purchase orders, never sends them.

    Running it twice drafts nothing more: open purchase orders, drafts included, count
    as stock on its way. Returns how many drafts were created or extended.
    """
    result = reorder_rules_run()
    if result.orders:
        logger.info("Reorder rules: %d drafts (%d new)", len(result.orders), len(result.created))
    if result.unassigned:
        logger.warning("Reorder rules: no preferred supplier for %s", ", ".join(v.sku for v in result.unassigned))
    return len(result.orders)


@shared_task(bind=True, name="purchasing.tasks.low_stock_digest_task", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def low_stock_digest_task(self) -> int:
    """Email Managers the day's low-stock list (beat, daily); nothing when nothing is low.

    A message the broker hands out again (a worker lost after sending) sends nothing: the
    first run claims the message id, and gives it back only when sending fails, so the
    retry can send.
    """
    claim = f"low-stock-digest:{self.request.id}" if self.request.id else None
    if claim and not cache.add(claim, 1, timeout=2 * 24 * 3600):
        logger.info("Low-stock digest %s was already sent", self.request.id)
        return 0
    try:
        sent = low_stock_digest_send()
    except Exception:
        if claim:
            cache.delete(claim)
        raise
    if sent:
        logger.info("Low-stock digest sent to %d recipients", sent)
    return sent
