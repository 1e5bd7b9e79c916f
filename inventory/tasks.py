import logging

from celery import shared_task

from inventory.services import reservations_expire_due

logger = logging.getLogger(__name__)


@shared_task(name="inventory.tasks.release_expired_reservations")
def release_expired_reservations() -> int:
    """Expire overdue reservations (beat, every minute). Safe on several workers at once."""
    expired = reservations_expire_due()
    if expired:
        logger.info("Expired %d reservations", expired)
    return expired


@shared_task(bind=True, name="inventory.tasks.low_stock_digest_task", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def low_stock_digest_task(self) -> int:
    """Email Managers the day's low-stock list (beat, daily); nothing when nothing is low.

    A message the broker hands out again (a worker lost after sending) sends nothing: the
    first run claims the message id, and gives it back only when sending fails, so the
    retry can send.
    """
    from django.core.cache import cache

    from inventory.services import low_stock_digest_send

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
