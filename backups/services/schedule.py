"""When scheduled backups are taken, and the tick that takes them.

BackupSchedule (the row pk=1) says: a daily backup at `daily_time`, a weekly one on
`weekly_day` at `weekly_time`, both in settings.TIME_ZONE. Each is one *slot*:
"daily:2026-11-29", "weekly:2026-W48" (ISO week). Beat runs the tick every minute; a
slot is due from its time until the day (or the ISO week) ends, so a tick missed while
the machine was down is caught up. Backup.schedule_slot is unique: however many ticks
run at once, one backup is recorded per slot.
"""
import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from backups.models import DEFAULT_SECTIONS, Backup, BackupKind, BackupSchedule
from backups.services.jobs import backup_request
from backups.validators import backup_sections_clean
from core.audit import audit_changes, audit_record
from core.exceptions import ValidationFailed

logger = logging.getLogger(__name__)

SCHEDULE_PK = 1
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def schedule_get() -> BackupSchedule:
    """The schedule, created with the defaults (daily 03:00, weekly Sunday 04:00) on first use."""
    schedule, created = BackupSchedule.objects.get_or_create(
        pk=SCHEDULE_PK, defaults={"sections": [str(section) for section in DEFAULT_SECTIONS]})
    if created:
        schedule.refresh_from_db()  # the model's defaults are strings ("03:00"): read the times back
    return schedule


def _schedule_values(schedule: BackupSchedule) -> dict:
    """The schedule as the audit trail records it: times as HH:MM, the day by its name."""
    return {
        "daily_enabled": schedule.daily_enabled,
        "daily_time": _time(schedule.daily_time).strftime("%H:%M"),
        "weekly_enabled": schedule.weekly_enabled,
        "weekly_day": WEEKDAYS[schedule.weekly_day],
        "weekly_time": _time(schedule.weekly_time).strftime("%H:%M"),
        "sections": list(schedule.sections or []),
    }


def schedule_update(*, daily_enabled: bool, daily_time: dt.time, weekly_enabled: bool, weekly_day: int,
                    weekly_time: dt.time, sections: list[str], user=None) -> BackupSchedule:
    """Save the schedule; the audit trail records who changed what (nothing when nothing changed)."""
    if not isinstance(weekly_day, int) or isinstance(weekly_day, bool) or not 0 <= weekly_day <= 6:
        raise ValidationFailed("Choose a day of the week for the weekly backup.", field="weekly_day")
    for name, value in (("daily_time", daily_time), ("weekly_time", weekly_time)):
        if not isinstance(value, dt.time):
            raise ValidationFailed("Enter a time as HH:MM.", field=name)
    clean = backup_sections_clean(sections=sections)
    with transaction.atomic():
        schedule_get()
        schedule = BackupSchedule.objects.select_for_update().get(pk=SCHEDULE_PK)
        before = _schedule_values(schedule)
        schedule.daily_enabled = bool(daily_enabled)
        schedule.daily_time = daily_time.replace(second=0, microsecond=0)
        schedule.weekly_enabled = bool(weekly_enabled)
        schedule.weekly_day = weekly_day
        schedule.weekly_time = weekly_time.replace(second=0, microsecond=0)
        schedule.sections = clean
        schedule.updated_by = user if user is not None and getattr(user, "is_authenticated", False) else None
        schedule.save()
        audit_record(user=user, action="backup_schedule.update", obj=schedule,
                     changes=audit_changes(before=before, after=_schedule_values(schedule)))
    return schedule


def _time(value) -> dt.time:
    # A TimeField read back is a time; one just assigned from a default string is not.
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


def schedule_slot_daily(day: dt.date) -> str:
    return f"daily:{day.isoformat()}"


def schedule_slot_weekly(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"weekly:{year}-W{week:02d}"


def schedule_due_slots(*, schedule: BackupSchedule, now: dt.datetime | None = None) -> list[str]:
    """The slots whose time has come at `now` (local time): today's daily slot from
    daily_time on, and this ISO week's weekly slot from weekly_day at weekly_time on."""
    local = timezone.localtime(now or timezone.now())
    today, clock = local.date(), local.time()
    due = []
    if schedule.daily_enabled and clock >= _time(schedule.daily_time):
        due.append(schedule_slot_daily(today))
    if schedule.weekly_enabled:
        weekday = today.weekday()
        if weekday > schedule.weekly_day or (weekday == schedule.weekly_day and clock >= _time(schedule.weekly_time)):
            due.append(schedule_slot_weekly(today))
    return due


def schedule_next_runs(*, schedule: BackupSchedule, now: dt.datetime | None = None) -> dict[str, dt.datetime | None]:
    """When the next daily and weekly backups are due (local time), for the page."""
    local = timezone.localtime(now or timezone.now())
    tz = local.tzinfo
    result: dict[str, dt.datetime | None] = {"daily": None, "weekly": None}
    if schedule.daily_enabled:
        at = dt.datetime.combine(local.date(), _time(schedule.daily_time), tzinfo=tz)
        result["daily"] = at if at > local else at + dt.timedelta(days=1)
    if schedule.weekly_enabled:
        days = (schedule.weekly_day - local.weekday()) % 7
        at = dt.datetime.combine(local.date() + dt.timedelta(days=days), _time(schedule.weekly_time), tzinfo=tz)
        result["weekly"] = at if at > local else at + dt.timedelta(days=7)
    return result


def schedule_tick(*, now: dt.datetime | None = None) -> list[Backup]:
    """Record (and enqueue) a SCHEDULED backup for every due slot that has none yet.
    Safe to run any number of times, also concurrently: the unique slot decides."""
    schedule = schedule_get()
    taken = []
    for slot in schedule_due_slots(schedule=schedule, now=now):
        if Backup.objects.filter(schedule_slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                backup = backup_request(sections=list(schedule.sections) or None, kind=BackupKind.SCHEDULED,
                                        schedule_slot=slot)
        except IntegrityError:
            continue  # another tick took this slot a moment ago
        logger.info("Scheduled backup %s recorded for %s", backup.pk, slot)
        taken.append(backup)
    return taken
