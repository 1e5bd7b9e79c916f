"""The schedule page's "Changes": who changed the backup schedule, when, and what."""
import re

import pytest
from django.urls import reverse

from core.models import AuditEntry

pytestmark = pytest.mark.django_db

SCHEDULE_URL = reverse("backups:schedule")
SAVED = {"daily_enabled": "on", "daily_time": "03:00", "weekly_enabled": "on", "weekly_day": "6",
         "weekly_time": "04:00", "sections": ["catalogue", "stock", "purchasing", "orders"]}


def _changes_section(html: str) -> str:
    match = re.search(r'<section id="changes".*?</section>', html, re.S)
    assert match, "no Changes section"
    return match.group(0)


def test_schedule_view_records_the_change_and_shows_it(admin_client, admin_user):
    response = admin_client.post(SCHEDULE_URL, SAVED | {"weekly_day": "2", "daily_enabled": ""})

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action) == (admin_user, "backup_schedule.update")
    assert entry.changes == {"daily_enabled": [True, False], "weekly_day": ["Sunday", "Wednesday"]}
    html = admin_client.get(SCHEDULE_URL).content.decode()
    section = _changes_section(html)
    assert "Weekly day: Sunday → Wednesday" in section
    assert "Daily enabled: yes → no" in section
    assert "by admin" in section
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [] and " style=" not in html


def test_schedule_view_unchanged_or_refused_writes_no_audit_row(admin_client):
    saved = admin_client.post(SCHEDULE_URL, SAVED)
    refused = admin_client.post(SCHEDULE_URL, SAVED | {"weekly_day": "2", "sections": ["nope"]})

    assert (saved.status_code, refused.status_code) == (302, 400)
    assert AuditEntry.objects.count() == 0
    assert "No changes recorded yet." in _changes_section(refused.content.decode())
