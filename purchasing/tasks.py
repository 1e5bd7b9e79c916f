import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="purchasing.tasks.reorder_rules_apply_task")
def reorder_rules_apply_task() -> int:
    """The nightly min/max run (beat). Drafts purchase orders, never sends them.

    Running it twice drafts nothing more: open purchase orders, drafts included, count
    as stock on its way. Returns how many drafts were created or extended.
    """
    from purchasing.services import reorder_rules_apply

    result = reorder_rules_apply()
    if result.orders:
        logger.info("Reorder rules: %d drafts (%d new)", len(result.orders), len(result.created))
    if result.unassigned:
        logger.warning("Reorder rules: no preferred supplier for %s", ", ".join(v.sku for v in result.unassigned))
    return len(result.orders)
