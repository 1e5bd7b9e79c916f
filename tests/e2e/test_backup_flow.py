"""An Admin backs up in the browser, sees the backup complete, previews a restore (dry run)
and reads the per-model table; nothing changes."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.roles import ADMIN
from backups.models import Backup, BackupStatus, RestoreRun, RestoreStatus
from inventory.models import StockMovement
from tests.backups import backup_dir, populate  # noqa: F401
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USERNAME = "e2e-admin"
PASSWORD = "e2e-pass-word-789"


def admin_user_make():
    # Transactional tests flush the database, data migrations included: make the role here.
    group, _ = Group.objects.get_or_create(name=ADMIN)
    user = get_user_model().objects.create_superuser(USERNAME, email="admin@example.com", password=PASSWORD,
                                                     first_name="Ada")
    user.groups.add(group)
    return user


def test_backup_flow_back_up_now_then_preview_a_restore(page, backup_dir):
    from playwright.sync_api import expect

    admin_user_make()
    populate()
    movements = StockMovement.objects.count()
    log_in(page, USERNAME, PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Backups from the navigation's Data menu; the users section is off by default.
    page.locator("nav summary", has_text="Data").click()
    page.get_by_role("link", name="Backups", exact=True).click()
    expect(page.get_by_role("heading", name="Backups", exact=True)).to_be_visible()
    expect(page.get_by_label("Catalogue")).to_be_checked()
    expect(page.get_by_label("Users and roles")).not_to_be_checked()
    page.get_by_role("button", name="Back up now").click()

    # The row follows the backup until it is done (at once or through the worker).
    backup = Backup.objects.get()
    row = page.locator(f"#backup-{backup.pk}")
    expect(row.locator("[data-status]")).to_have_text("Completed", timeout=20_000)
    backup.refresh_from_db()
    assert backup.status == BackupStatus.COMPLETED
    assert (backup_dir / backup.file_name).is_file()
    expect(row.get_by_role("link", name="Download")).to_be_visible()

    # Its page: the rows per model and the restore form; a preview is the default choice.
    row.get_by_role("link", name=str(backup.pk), exact=True).click()
    expect(page.get_by_role("heading", name=f"Backup {backup.pk}")).to_be_visible()
    expect(page.get_by_label("Preview (dry run): show what would change, change nothing")).to_be_checked()
    page.get_by_role("button", name="Run").click()

    run = RestoreRun.objects.get()
    expect(page).to_have_url(re.compile(rf"/backups/restores/{run.pk}/$"))
    expect(page.locator("#restore-status [data-status]")).to_have_text("Completed", timeout=20_000)
    variants = page.locator('tr[data-model="inventory.variant"]')
    expect(variants.locator('[data-count="unchanged"]')).to_have_text("3")
    expect(variants.locator('[data-count="create"]')).to_have_text("0")
    expect(page.locator('tr[data-model="inventory.stockmovement"] [data-count="unchanged"]')).to_have_text(
        str(movements))
    run.refresh_from_db()
    assert run.status == RestoreStatus.COMPLETED and run.dry_run
    assert StockMovement.objects.count() == movements
    assert Backup.objects.count() == 1  # a preview takes no automatic backup

    assert page.console_errors == []
