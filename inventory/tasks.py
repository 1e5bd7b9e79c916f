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
