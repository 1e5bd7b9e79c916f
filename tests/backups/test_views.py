"""The backup pages: Admins only; list, back up now, live status, detail, download, delete,
verify, restore (preview and real), restore from a file, a restore's report, the schedule."""
import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backups.models import Backup, BackupSchedule, BackupStatus, RestoreRun, RestoreStatus
from backups.services.jobs import backup_request
from inventory.models import Variant
from tests import factories
from tests.backups import backup_dir, populate  # noqa: F401

pytestmark = pytest.mark.django_db

LIST_URL = reverse("backups:backup_list")
UPLOAD_URL = reverse("backups:restore_upload")
SCHEDULE_URL = reverse("backups:schedule")
HX = {"HX-Request": "true"}


def _url(name: str, backup: Backup) -> str:
    return reverse(f"backups:{name}", kwargs={"backup_id": backup.pk})


def _assert_csp_clean(html: str) -> None:
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "onclick=" not in html


@pytest.fixture
def taken(backup_dir, django_capture_on_commit_callbacks):
    """Data in every section but users, and a completed backup of it."""
    populate()

    def take(sections=None) -> Backup:
        with django_capture_on_commit_callbacks(execute=True):
            backup = backup_request(sections=sections or ["catalogue", "stock", "purchasing", "orders"])
        backup.refresh_from_db()
        assert backup.status == BackupStatus.COMPLETED, backup.error
        return backup

    return take


# --- who may ---------------------------------------------------------------------

@pytest.mark.smoke
def test_backup_list_view_is_for_admins_only(client, manager_user, staff_user):
    anonymous = client.get(LIST_URL)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for user in (manager_user, staff_user):
        client.force_login(user)
        assert client.get(LIST_URL).status_code == 403
        assert client.post(LIST_URL, {"sections": ["catalogue"]}).status_code == 403
        assert "/backups/" not in client.get(reverse("core:dashboard")).content.decode()  # no nav link
    assert not Backup.objects.exists()


@pytest.mark.smoke
def test_backup_list_view_renders_the_form_and_the_backups(admin_client, backup_dir):
    done = Backup.objects.create(status=BackupStatus.COMPLETED, sections=["catalogue"], file_name="b.srbk",
                                 size=2048, counts={"inventory.variant": 3, "inventory.product": 2})
    failed = Backup.objects.create(status=BackupStatus.FAILED, error="Disk full")

    response = admin_client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Backups</h1>" in html and "Back up now" in html
    assert re.search(r'value="catalogue"[^>]*checked', html)
    assert not re.search(r'value="users"[^>]*checked', html)  # users off by default
    assert f'id="backup-{done.pk}"' in html and _url("backup_download", done) in html
    assert "Disk full" in html and f'id="backup-{failed.pk}"' in html
    assert "hx-trigger" not in re.search(r'<tr id="backup-%d"[^>]*>' % done.pk, html).group(0)  # done: no polling
    assert f'href="{LIST_URL}"' in html  # the nav link, for Admins
    _assert_csp_clean(html)


# --- back up now and live status ---------------------------------------------------

def test_backup_list_view_post_backs_up_now(admin_client, admin_user, backup_dir,
                                            django_capture_on_commit_callbacks):
    populate()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(LIST_URL, {"sections": ["catalogue", "stock", "users"]})

    assert response.status_code == 302 and response["Location"] == LIST_URL
    backup = Backup.objects.get()
    assert backup.status == BackupStatus.COMPLETED, backup.error
    assert backup.sections == ["catalogue", "stock", "users"] and backup.created_by == admin_user
    assert (backup_dir / backup.file_name).exists()
    html = admin_client.get(LIST_URL).content.decode()
    assert f"Backup {backup.pk} started" in html
    assert "Completed" in html


@pytest.mark.parametrize("sections, message", [
    (["catalogue", "bogus"], "Unknown section bogus"),
    ([], "Choose at least one section to back up."),
])
def test_backup_list_view_post_bad_sections_is_a_form_error(admin_client, backup_dir, sections, message):
    response = admin_client.post(LIST_URL, {"sections": sections})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Backup.objects.exists()


def test_backup_status_view_polls_while_running_and_stops_with_286(admin_client, backup_dir):
    backup = Backup.objects.create(status=BackupStatus.PENDING, sections=["catalogue"])
    url = _url("backup_status", backup)

    running = admin_client.get(url, headers=HX | {"HX-Target": f"backup-{backup.pk}"})
    assert running.status_code == 200
    html = running.content.decode()
    assert html.strip().startswith(f'<tr id="backup-{backup.pk}"') and 'hx-trigger="every 1s"' in html

    Backup.objects.filter(pk=backup.pk).update(status=BackupStatus.COMPLETED, file_name="x.srbk", size=10)
    done = admin_client.get(url, headers=HX | {"HX-Target": f"backup-{backup.pk}"})
    assert done.status_code == 286
    assert "Completed" in done.content.decode() and "hx-trigger" not in done.content.decode()

    panel = admin_client.get(url, headers=HX | {"HX-Target": "backup-status"})
    assert panel.status_code == 286 and 'id="backup-status"' in panel.content.decode()
    assert admin_client.get(url).status_code == 302  # not htmx: the backup's page


# --- one backup ------------------------------------------------------------------------

def test_backup_detail_view_shows_counts_actions_and_the_restore_form(admin_client, taken):
    backup = taken()

    response = admin_client.get(_url("backup_detail", backup))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>Backup {backup.pk}</h1>" in html
    assert "inventory.stockmovement" in html and backup.checksum in html
    for name in ("backup_download", "backup_verify", "backup_delete", "backup_restore"):
        assert _url(name, backup) in html
    assert 'name="mode"' in html and 'name="conflict"' in html and 'name="confirm"' in html
    _assert_csp_clean(html)


def test_backup_download_view_streams_the_file(admin_client, taken, backup_dir):
    backup = taken(["catalogue"])

    response = admin_client.get(_url("backup_download", backup))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (backup_dir / backup.file_name).read_bytes()
    assert backup.file_name in response["Content-Disposition"]


def test_backup_download_view_not_completed_says_so(admin_client, backup_dir):
    backup = Backup.objects.create(status=BackupStatus.PENDING)

    response = admin_client.get(_url("backup_download", backup), follow=True)

    assert response.status_code == 200
    assert "not finished yet" in response.content.decode()


def test_backup_delete_view_confirms_then_deletes_the_file(admin_client, taken, backup_dir,
                                                           django_capture_on_commit_callbacks):
    backup = taken(["catalogue"])
    url = _url("backup_delete", backup)

    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and f"Delete backup {backup.pk}?" in confirm.content.decode()
    assert Backup.objects.filter(pk=backup.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)

    assert response.status_code == 302 and response["Location"] == LIST_URL
    assert not Backup.objects.filter(pk=backup.pk).exists()
    assert not (backup_dir / backup.file_name).exists()


def test_backup_verify_view_shows_the_verdict_per_member(admin_client, taken, backup_dir):
    backup = taken(["catalogue"])

    good = admin_client.post(_url("backup_verify", backup))
    assert good.status_code == 200
    html = good.content.decode()
    assert 'data-verify="ok"' in html and "inventory.variant" in html
    backup.refresh_from_db()
    assert backup.verify_ok is True

    path = backup_dir / backup.file_name
    path.write_bytes(path.read_bytes()[:-200])  # truncated
    bad = admin_client.post(_url("backup_verify", backup), headers=HX)
    assert bad.status_code == 200
    assert 'data-verify="invalid"' in bad.content.decode() and "<html" not in bad.content.decode()
    backup.refresh_from_db()
    assert backup.verify_ok is False


def test_backup_restore_view_dry_run_opens_the_report(admin_client, admin_user, taken,
                                                      django_capture_on_commit_callbacks):
    backup = taken(["catalogue", "stock"])
    Variant.objects.filter(sku="MUG-1").update(attributes={"ml": 500})

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_url("backup_restore", backup), {"mode": "dry_run"})

    run = RestoreRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backups:restore_detail", kwargs={"run_id": run.pk})
    page = admin_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    run.refresh_from_db()
    assert run.status == RestoreStatus.COMPLETED and run.dry_run and run.created_by == admin_user
    row = re.search(r'<tr data-model="inventory.variant">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'data-count="unchanged">2<', row) and re.search(r'data-count="conflict">1<', row)
    assert "Restore for real" in html  # after a preview, the real restore is offered
    assert Variant.objects.get(sku="MUG-1").attributes == {"ml": 500}
    _assert_csp_clean(html)


def test_backup_restore_view_real_restore_over_data_without_policy_is_a_form_error(admin_client, taken):
    backup = taken(["catalogue"])

    response = admin_client.post(_url("backup_restore", backup), {"mode": "restore", "confirm": "RESTORE"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "The database already holds data" in html and 'id="id_conflict_error"' in html
    assert not RestoreRun.objects.exists() and Backup.objects.count() == 1


@pytest.mark.parametrize("data, status, message", [
    ({"mode": "restore", "conflict": "skip"}, 400, "Type RESTORE (or tick the box) to confirm the restore."),
    ({"mode": "restore", "conflict": "skip", "confirm": "yes"}, 400, "Type RESTORE"),
    ({"mode": "dry_run", "conflict": "merge"}, 400, "Choose skip or overwrite."),
    ({"mode": "undo"}, 400, "Choose a preview or a restore."),
])
def test_backup_restore_view_bad_input_is_a_form_error(admin_client, taken, data, status, message):
    backup = taken(["catalogue"])

    response = admin_client.post(_url("backup_restore", backup), data)

    assert response.status_code == status
    assert message in response.content.decode()
    assert not RestoreRun.objects.exists()


def test_backup_restore_view_real_restore_with_the_box_ticked_and_skip(admin_client, taken,
                                                                       django_capture_on_commit_callbacks):
    backup = taken(["catalogue", "stock"])
    Variant.objects.filter(sku="MUG-1").update(attributes={"ml": 500})

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_url("backup_restore", backup),
                                     {"mode": "restore", "conflict": "skip", "confirm_box": "on"})

    assert response.status_code == 302
    run = RestoreRun.objects.get()
    assert run.status == RestoreStatus.COMPLETED and not run.dry_run, run.error
    assert run.auto_backup is not None
    assert Variant.objects.get(sku="MUG-1").attributes == {"ml": 500}  # skip keeps the database's row
    html = admin_client.get(response["Location"]).content.decode()
    assert _url("backup_detail", run.auto_backup) in html and "clean" in html


def test_restore_again_view_restores_the_previewed_backup_for_real(admin_client, taken,
                                                                   django_capture_on_commit_callbacks):
    backup = taken(["catalogue", "stock"])
    Variant.objects.filter(sku="MUG-1").update(attributes={"ml": 500})
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_url("backup_restore", backup), {"mode": "dry_run"})
    preview = RestoreRun.objects.get()
    url = reverse("backups:restore_again", kwargs={"run_id": preview.pk})

    unconfirmed = admin_client.post(url, {"mode": "restore", "conflict": "overwrite"})
    assert unconfirmed.status_code == 400 and "Type RESTORE" in unconfirmed.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"mode": "restore", "conflict": "overwrite", "confirm": "RESTORE"})

    run = RestoreRun.objects.exclude(pk=preview.pk).get()
    assert response.status_code == 302
    assert (run.backup, run.dry_run, run.conflict, run.status) == (backup, False, "overwrite",
                                                                    RestoreStatus.COMPLETED), run.error
    assert Variant.objects.get(sku="MUG-1").attributes == {"ml": 350, "glaze": "matte", "weights": [1.5, 2]}


# --- restore from a file ----------------------------------------------------------------

def test_restore_upload_view_garbage_gives_a_clear_failure_never_a_500(admin_client, backup_dir,
                                                                       django_capture_on_commit_callbacks):
    factories.VariantFactory(sku="KEEP-1")
    upload = SimpleUploadedFile("holiday.jpg", b"\xff\xd8\xff\xe0 not a backup" * 50)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(UPLOAD_URL, {"file": upload, "mode": "restore", "conflict": "overwrite",
                                                  "confirm": "restore"})

    assert response.status_code == 302
    run = RestoreRun.objects.get()
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert run.original_name == "holiday.jpg" and "holiday.jpg" in html
    assert "The backup did not pass verification" in html and 'data-status="FAILED"' in html
    assert list(Variant.objects.values_list("sku", flat=True)) == ["KEEP-1"]
    assert not Backup.objects.exists()


def test_restore_upload_view_archive_with_a_deep_manifest_fails_clearly_and_is_removed(
        admin_client, taken, backup_dir, tmp_path, django_capture_on_commit_callbacks):
    from tests.backups import read_archive, write_archive

    backup = taken(["catalogue"])
    members = read_archive(backup_dir / backup.file_name)
    deep = write_archive(tmp_path / "deep.srbk", {**members, "manifest.json": b"[" * 100_000 + b"]" * 100_000})
    upload = SimpleUploadedFile("deep.srbk", deep.read_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(UPLOAD_URL, {"file": upload, "mode": "dry_run"})

    run = RestoreRun.objects.get()
    html = admin_client.get(response["Location"]).content.decode()
    assert run.status == RestoreStatus.FAILED
    assert "manifest.json nests deeper than 8 levels" in run.error and "manifest.json nests deeper" in html
    assert "RecursionError" not in html and "recursion" not in run.error
    assert run.upload_name == "" and list((backup_dir / "uploads").iterdir()) == []


def test_restore_upload_view_refuses_an_oversized_archive_before_reading_it(admin_client, backup_dir, settings):
    settings.BACKUP_UPLOAD_MAX_MB = 1

    response = admin_client.post(UPLOAD_URL, {"mode": "dry_run", "file": SimpleUploadedFile("b.srbk", b"PK")},
                                 CONTENT_LENGTH=str(300 * 1024 * 1024))

    assert response.status_code == 413
    assert "The file is larger than 1 MB, the most this upload accepts. Nothing was stored." in \
        response.content.decode()
    assert not RestoreRun.objects.exists()
    assert list(backup_dir.iterdir()) == []


def test_restore_upload_view_bad_input_names_the_field(admin_client, backup_dir, settings):
    missing = admin_client.post(UPLOAD_URL, {"mode": "dry_run"})
    assert missing.status_code == 400 and "Choose a backup file to upload." in missing.content.decode()

    settings.BACKUP_UPLOAD_MAX_MB = 0
    big = admin_client.post(UPLOAD_URL, {"mode": "dry_run", "file": SimpleUploadedFile("b.srbk", b"12345")})
    assert big.status_code == 400 and "The file is larger than 0 MB." in big.content.decode()
    assert not RestoreRun.objects.exists()
    assert list(backup_dir.iterdir()) == []  # nothing stored


def test_restore_upload_view_archive_over_data_needs_the_policy(admin_client, taken, backup_dir):
    backup = taken(["catalogue"])
    content = (backup_dir / backup.file_name).read_bytes()

    response = admin_client.post(UPLOAD_URL, {"file": SimpleUploadedFile("b.srbk", content), "mode": "restore",
                                              "confirm": "RESTORE"})

    assert response.status_code == 409
    assert "The database already holds data" in response.content.decode()
    assert not RestoreRun.objects.exists()


@pytest.mark.smoke
def test_restore_upload_view_renders_for_admins_only(admin_client, client, manager_user):
    response = admin_client.get(UPLOAD_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    _assert_csp_clean(html)
    client.force_login(manager_user)
    assert client.get(UPLOAD_URL).status_code == 403


# --- one restore ---------------------------------------------------------------------------

def test_restore_detail_view_polls_while_running_then_stops(admin_client, backup_dir):
    run = RestoreRun.objects.create(status=RestoreStatus.IN_PROGRESS, original_name="a.srbk")
    url = reverse("backups:restore_detail", kwargs={"run_id": run.pk})

    running = admin_client.get(url, headers=HX)
    assert running.status_code == 200 and 'hx-trigger="every 1s"' in running.content.decode()

    RestoreRun.objects.filter(pk=run.pk).update(status=RestoreStatus.COMPLETED, report={
        "ok": True, "dry_run": True, "message": "Dry run: 1 rows would be created.",
        "models": {"inventory.product": {"create": 1, "update": 0, "unchanged": 4, "conflict": 0, "conflicts": []}}})
    done = admin_client.get(url, headers=HX)
    assert done.status_code == 286
    html = done.content.decode()
    assert 'data-model="inventory.product"' in html and "Dry run: 1 rows would be created." in html


# --- schedule ---------------------------------------------------------------------------------

@pytest.mark.smoke
def test_schedule_view_shows_and_saves_the_schedule(admin_client, admin_user):
    page = admin_client.get(SCHEDULE_URL)
    assert page.status_code == 200
    assert 'value="03:00"' in page.content.decode()

    response = admin_client.post(SCHEDULE_URL, {"daily_enabled": "on", "daily_time": "01:30", "weekly_day": "2",
                                                "weekly_time": "05:45", "sections": ["catalogue", "users"]})

    assert response.status_code == 302
    schedule = BackupSchedule.objects.get()
    assert (schedule.daily_enabled, schedule.daily_time) == (True, dt.time(1, 30))
    assert (schedule.weekly_enabled, schedule.weekly_day, schedule.weekly_time) == (False, 2, dt.time(5, 45))
    assert schedule.sections == ["catalogue", "users"] and schedule.updated_by == admin_user


@pytest.mark.smoke
def test_schedule_view_bad_input_names_the_field(admin_client, client, staff_user):
    response = admin_client.post(SCHEDULE_URL, {"daily_time": "25:99", "weekly_day": "9", "weekly_time": "04:00",
                                                "sections": ["nope"]})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter the daily time as HH:MM." in html and "Choose a day of the week." in html
    assert "Unknown section nope." in html
    assert not BackupSchedule.objects.exclude(daily_time=dt.time(3, 0)).exists()
    client.force_login(staff_user)
    assert client.post(SCHEDULE_URL, {}).status_code == 403


def test_backup_list_view_offers_a_page_size(admin_client, backup_dir):
    for _ in range(3):
        backup_request()

    response = admin_client.get(LIST_URL, {"page_size": 50})

    assert response.status_code == 200
    assert response.context["page_obj"].page_size == 50 and len(response.context["page_obj"]) == 3
