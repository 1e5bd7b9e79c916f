"""Background work for backups. Tasks load rows by id and call a service."""
import logging

from celery import shared_task

from backups.services.jobs import backup_drill_newest, backup_run, restore_run_execute
from backups.services.retention import backups_retention_run
from backups.services.schedule import schedule_tick

logger = logging.getLogger(__name__)


@shared_task(name="backups.tasks.backup_create_task", acks_late=True)
def backup_create_task(backup_id: int) -> str:
    """Take a requested backup. Idempotent: only a PENDING backup is taken, by one worker."""
    backup = backup_run(backup_id=backup_id)
    return "skipped" if backup is None else backup.status


@shared_task(name="backups.tasks.backup_schedule_tick_task")
def backup_schedule_tick_task() -> list[int]:
    """Record the scheduled backups whose slot has come (beat, every minute)."""
    return [backup.pk for backup in schedule_tick()]


@shared_task(name="backups.tasks.backups_retention_task")
def backups_retention_task() -> list[int]:
    """Remove the backups the retention rules no longer keep (beat, daily)."""
    return backups_retention_run().deleted


@shared_task(name="backups.tasks.backup_drill_task")
def backup_drill_task() -> str:
    """Restore the newest completed backup into a scratch database, check it, and email
    the Admins when it fails (beat, weekly)."""
    result = backup_drill_newest()
    return "nothing" if result is None else ("ok" if result.ok else "failed")


@shared_task(name="backups.tasks.restore_run_task", acks_late=True)
def restore_run_task(run_id: int) -> str:
    """Run a requested restore or dry run. Idempotent: only a PENDING run is worked on."""
    run = restore_run_execute(run_id=run_id)
    return "skipped" if run is None else run.status
