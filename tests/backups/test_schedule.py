"""The backup schedule: due slots in the configured time zone, one backup per slot."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from backups.models import Backup, BackupKind, BackupSchedule, BackupStatus
from backups.services.schedule import (
    schedule_due_slots,
    schedule_get,
    schedule_next_runs,
    schedule_tick,
    schedule_update,
)
from core.exceptions import ValidationFailed

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc


def _at(year, month, day, hour, minute, tz=UTC) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


def _schedule(**values) -> BackupSchedule:
    schedule = schedule_get()
    for name, value in values.items():
        setattr(schedule, name, value)
    schedule.save()
    return schedule


def test_schedule_get_creates_the_defaults_once():
    first = schedule_get()
    second = schedule_get()

    assert first.pk == second.pk == 1
    assert BackupSchedule.objects.count() == 1
    assert (first.daily_enabled, first.weekly_enabled, first.weekly_day) == (True, True, 6)
    assert first.sections == ["catalogue", "stock", "purchasing", "orders"]


def test_schedule_due_slots_daily_from_its_time_until_the_day_ends(settings):
    settings.TIME_ZONE = "UTC"
    schedule = _schedule(daily_time=dt.time(3, 0), weekly_enabled=False)

    # 2026-11-25 is a Wednesday.
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 25, 2, 59)) == []
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 25, 3, 0)) == ["daily:2026-11-25"]
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 25, 23, 59)) == ["daily:2026-11-25"]
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 26, 0, 30)) == []


def test_schedule_due_slots_weekly_on_its_day_and_caught_up_later_that_week(settings):
    settings.TIME_ZONE = "UTC"
    schedule = _schedule(daily_enabled=False, weekly_day=2, weekly_time=dt.time(4, 0))  # Wednesday 04:00

    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 24, 12, 0)) == []  # Tuesday
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 25, 3, 59)) == []
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 25, 4, 0)) == ["weekly:2026-W48"]
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 29, 22, 0)) == ["weekly:2026-W48"]  # Sunday
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 30, 5, 0)) == []  # Monday, week 49


def test_schedule_due_slots_default_sunday_gives_both_slots(settings):
    settings.TIME_ZONE = "UTC"
    schedule = schedule_get()

    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 29, 3, 30)) == ["daily:2026-11-29"]
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 29, 4, 0)) == ["daily:2026-11-29",
                                                                                   "weekly:2026-W48"]


def test_schedule_due_slots_disabled_gives_nothing(settings):
    settings.TIME_ZONE = "UTC"
    schedule = _schedule(daily_enabled=False, weekly_enabled=False)

    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 29, 23, 0)) == []


def test_schedule_due_slots_use_the_configured_time_zone(settings):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in November
    schedule = _schedule(daily_time=dt.time(3, 0), weekly_enabled=False)

    # 14:30 UTC on the 25th is 03:30 on the 26th in Auckland.
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 25, 14, 30)) == ["daily:2026-11-26"]
    assert schedule_due_slots(schedule=schedule, now=_at(2026, 11, 25, 13, 30)) == []


def test_schedule_tick_records_one_scheduled_backup_per_slot(settings, django_capture_on_commit_callbacks):
    settings.TIME_ZONE = "UTC"
    _schedule(daily_time=dt.time(3, 0), weekly_enabled=False, sections=["catalogue", "stock"])
    now = _at(2026, 11, 25, 3, 1)

    with django_capture_on_commit_callbacks() as callbacks:
        first = schedule_tick(now=now)
    second = schedule_tick(now=now)
    later = schedule_tick(now=_at(2026, 11, 25, 18, 0))

    assert [backup.schedule_slot for backup in first] == ["daily:2026-11-25"]
    assert second == [] and later == []
    backup = Backup.objects.get()
    assert (backup.kind, backup.status, backup.sections) == (BackupKind.SCHEDULED, BackupStatus.PENDING,
                                                             ["catalogue", "stock"])
    assert backup.created_by is None
    assert len(callbacks) == 1  # one task enqueued, after commit


def test_schedule_tick_leaves_a_slot_taken_by_another_tick_alone(settings):
    settings.TIME_ZONE = "UTC"
    _schedule(daily_time=dt.time(3, 0), weekly_enabled=False)
    Backup.objects.create(kind=BackupKind.SCHEDULED, schedule_slot="daily:2026-11-25")

    assert schedule_tick(now=_at(2026, 11, 25, 9, 0)) == []
    assert Backup.objects.count() == 1


def test_schedule_update_saves_the_schedule(admin_user):
    schedule = schedule_update(daily_enabled=False, daily_time=dt.time(1, 15, 42), weekly_enabled=True,
                               weekly_day=0, weekly_time=dt.time(22, 30), sections=["users", "catalogue"],
                               user=admin_user)

    schedule.refresh_from_db()
    assert schedule.daily_enabled is False
    assert schedule.daily_time == dt.time(1, 15)
    assert (schedule.weekly_day, schedule.weekly_time) == (0, dt.time(22, 30))
    assert schedule.sections == ["catalogue", "users"]
    assert schedule.updated_by == admin_user


@pytest.mark.parametrize("changes, field", [
    ({"sections": ["catalogue", "bogus"]}, "sections"),
    ({"sections": []}, "sections"),
    ({"weekly_day": 7}, "weekly_day"),
])
def test_schedule_update_bad_input_names_the_field_and_changes_nothing(changes, field):
    values = {"daily_enabled": True, "daily_time": dt.time(2, 0), "weekly_enabled": True, "weekly_day": 6,
              "weekly_time": dt.time(4, 0), "sections": ["catalogue"]} | changes

    with pytest.raises(ValidationFailed) as error:
        schedule_update(**values)

    assert error.value.field == field
    if field == "sections" and changes["sections"]:
        assert "'bogus'" in error.value.message
    assert schedule_get().daily_time == dt.time(3, 0)


def test_schedule_next_runs_for_the_page(settings):
    settings.TIME_ZONE = "UTC"
    schedule = schedule_get()  # daily 03:00, weekly Sunday 04:00

    runs = schedule_next_runs(schedule=schedule, now=_at(2026, 11, 25, 10, 0))  # Wednesday

    assert runs["daily"] == _at(2026, 11, 26, 3, 0, ZoneInfo("UTC"))
    assert runs["weekly"] == _at(2026, 11, 29, 4, 0, ZoneInfo("UTC"))
