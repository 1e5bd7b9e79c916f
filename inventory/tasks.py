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


@shared_task(name="inventory.tasks.low_stock_digest_task", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def low_stock_digest_task() -> int:
    """Email Managers the day's low-stock list (beat, daily); nothing when nothing is low."""
    from inventory.services import low_stock_digest_send

    sent = low_stock_digest_send()
    if sent:
        logger.info("Low-stock digest sent to %d recipients", sent)
    return sent
