"""Each change of the backup schedule writes one audit row: who, and the changed settings'
before and after (times as HH:MM, the weekly day by name)."""
import datetime as dt

import pytest

from backups.services.schedule import schedule_get, schedule_update
from core.exceptions import ValidationFailed
from core.models import AuditEntry

pytestmark = pytest.mark.django_db

DEFAULTS = {"daily_enabled": True, "daily_time": dt.time(3, 0), "weekly_enabled": True, "weekly_day": 6,
            "weekly_time": dt.time(4, 0), "sections": ["catalogue", "stock", "purchasing", "orders"]}


def test_schedule_update_records_the_changed_settings(admin_user):
    schedule_update(**DEFAULTS | {"daily_time": dt.time(1, 30, 15), "weekly_day": 0, "sections": ["users"]},
                    user=admin_user)

    [entry] = AuditEntry.objects.all()
    assert (entry.user, entry.action) == (admin_user, "backup_schedule.update")
    assert (entry.object_type, entry.object_id) == ("backups.backupschedule", str(schedule_get().pk))
    assert entry.changes == {"daily_time": ["03:00", "01:30"], "weekly_day": ["Sunday", "Monday"],
                             "sections": [["catalogue", "stock", "purchasing", "orders"], ["users"]]}


def test_schedule_update_unchanged_writes_no_audit_row(admin_user):
    schedule_update(**DEFAULTS | {"daily_time": dt.time(3, 0, 59)}, user=admin_user)

    assert AuditEntry.objects.count() == 0


def test_schedule_update_refused_writes_no_audit_row(admin_user):
    with pytest.raises(ValidationFailed):
        schedule_update(**DEFAULTS | {"daily_enabled": False, "sections": ["bogus"]}, user=admin_user)

    assert schedule_get().daily_enabled is True
    assert AuditEntry.objects.count() == 0
