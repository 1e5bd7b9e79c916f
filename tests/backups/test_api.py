"""/api/v1/backups/ and /api/v1/restores/: Admin tokens only; list, create, detail, delete,
download, verify, restore, and bad input answered with the field and the right status."""
import pytest
from rest_framework.test import APIClient

from backups.models import Backup, BackupStatus, RestoreRun, RestoreStatus
from backups.services.jobs import backup_request
from tests.api.helpers import token_client
from tests.backups import backup_dir, populate  # noqa: F401

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/backups/"
BACKUP_KEYS = {
    "id", "kind", "status", "sections", "counts", "size", "checksum", "encrypted", "error", "created_by",
    "created_at", "started_at", "finished_at", "duration_seconds", "verify_ok", "verify_message", "drill_ok",
    "drill_message", "download_url",
}


@pytest.fixture
def admin_api(admin_user):
    return token_client(admin_user)


@pytest.fixture
def taken(backup_dir, django_capture_on_commit_callbacks):
    populate()

    def take(sections=None) -> Backup:
        with django_capture_on_commit_callbacks(execute=True):
            backup = backup_request(sections=sections or ["catalogue", "stock"])
        backup.refresh_from_db()
        assert backup.status == BackupStatus.COMPLETED, backup.error
        return backup

    return take


def _urls(backup_id: int, run_id: int) -> list[tuple[str, str]]:
    return [
        ("get", LIST_URL), ("post", LIST_URL),
        ("get", f"{LIST_URL}{backup_id}/"), ("delete", f"{LIST_URL}{backup_id}/"),
        ("get", f"{LIST_URL}{backup_id}/download/"), ("post", f"{LIST_URL}{backup_id}/verify/"),
        ("post", f"{LIST_URL}{backup_id}/restore/"), ("get", f"/api/v1/restores/{run_id}/"),
    ]


def test_backup_api_refuses_everyone_but_admins(manager_user, staff_user, backup_dir):
    backup = Backup.objects.create(status=BackupStatus.COMPLETED, file_name="x.srbk")
    run = RestoreRun.objects.create(backup=backup)
    clients = {user.username: token_client(user) for user in (manager_user, staff_user)}
    for method, url in _urls(backup.pk, run.pk):
        assert getattr(APIClient(), method)(url, {}, format="json").status_code == 401, (method, url)
        for username, api in clients.items():
            response = getattr(api, method)(url, {}, format="json")
            assert response.status_code == 403, (username, method, url, response.status_code)
    assert Backup.objects.count() == 1 and RestoreRun.objects.count() == 1


def test_backup_create_view_answers_202_and_takes_the_backup(admin_api, admin_user, backup_dir,
                                                             django_capture_on_commit_callbacks):
    populate()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(LIST_URL, {"sections": ["orders", "catalogue"]}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert set(body) == BACKUP_KEYS
    assert (body["status"], body["kind"], body["sections"]) == ("PENDING", "MANUAL", ["catalogue", "orders"])
    assert body["created_by"] == admin_user.username and body["download_url"] is None

    detail = admin_api.get(f"{LIST_URL}{body['id']}/").json()
    assert detail["status"] == "COMPLETED", detail["error"]
    assert detail["counts"]["orders.salesorder"] == 1 and detail["size"] > 0 and len(detail["checksum"]) == 64
    assert detail["download_url"].endswith(f"/api/v1/backups/{body['id']}/download/")


def test_backup_create_view_defaults_leave_users_out(admin_api, backup_dir):
    body = admin_api.post(LIST_URL, {}, format="json").json()

    assert body["sections"] == ["catalogue", "stock", "purchasing", "orders"]


@pytest.mark.parametrize("payload, message", [
    ({"sections": ["catalogue", "secrets"]}, "'secrets'"),
    ({"sections": []}, "Choose at least one section"),
    ({"sections": "catalogue"}, "list"),
])
def test_backup_create_view_bad_sections_is_a_400_naming_the_field(admin_api, backup_dir, payload, message):
    response = admin_api.post(LIST_URL, payload, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()["sections"])
    assert not Backup.objects.exists()


def test_backup_list_view_is_paginated_newest_first(admin_api, backup_dir):
    first = Backup.objects.create()
    second = Backup.objects.create()

    body = admin_api.get(LIST_URL, {"page_size": 1}).json()

    assert body["count"] == 2 and body["next"] and body["previous"] is None
    assert [row["id"] for row in body["results"]] == [second.pk]
    assert first.pk != second.pk


def test_backup_download_view_streams_the_file_and_409_while_not_completed(admin_api, taken, backup_dir):
    backup = taken(["catalogue"])
    pending = Backup.objects.create()

    response = admin_api.get(f"{LIST_URL}{backup.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (backup_dir / backup.file_name).read_bytes()

    refused = admin_api.get(f"{LIST_URL}{pending.pk}/download/")
    assert refused.status_code == 409 and "not finished" in refused.json()["detail"]
    assert admin_api.get(f"{LIST_URL}999999/download/").status_code == 404


def test_backup_detail_view_delete_removes_the_file(admin_api, taken, backup_dir,
                                                    django_capture_on_commit_callbacks):
    backup = taken(["catalogue"])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.delete(f"{LIST_URL}{backup.pk}/")

    assert response.status_code == 204
    assert not Backup.objects.exists() and not (backup_dir / backup.file_name).exists()
    assert admin_api.get(f"{LIST_URL}{backup.pk}/").status_code == 404


def test_backup_verify_view_answers_the_verdict_per_member(admin_api, taken, backup_dir):
    backup = taken(["catalogue"])

    good = admin_api.post(f"{LIST_URL}{backup.pk}/verify/")
    assert good.status_code == 200
    body = good.json()
    assert body["ok"] is True and body["backup"]["verify_ok"] is True
    members = {member["name"]: member for member in body["members"]}
    assert members["inventory.variant.ndjson"]["ok"] is True
    assert members["inventory.variant.ndjson"]["message"] == "3 rows, checksum OK"

    (backup_dir / backup.file_name).write_bytes(b"garbage")
    bad = admin_api.post(f"{LIST_URL}{backup.pk}/verify/").json()
    assert bad["ok"] is False and bad["message"] and bad["backup"]["verify_ok"] is False


def test_backup_restore_view_dry_run_then_restore_run_detail(admin_api, taken, django_capture_on_commit_callbacks):
    backup = taken()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"{LIST_URL}{backup.pk}/restore/", {"dry_run": True}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["dry_run"], body["backup"]) == ("PENDING", True, backup.pk)
    run = admin_api.get(f"/api/v1/restores/{body['id']}/").json()
    assert run["status"] == RestoreStatus.COMPLETED and run["ok"] is True, run["error"]
    assert run["models"]["inventory.variant"]["unchanged"] == 3
    assert run["message"].startswith("Dry run")
    assert admin_api.get("/api/v1/restores/999999/").status_code == 404


def test_backup_restore_view_without_policy_over_data_is_a_409(admin_api, taken):
    backup = taken(["catalogue"])

    response = admin_api.post(f"{LIST_URL}{backup.pk}/restore/", {"dry_run": False}, format="json")

    assert response.status_code == 409
    assert "already holds data" in response.json()["conflict"][0]
    assert not RestoreRun.objects.exists() and Backup.objects.count() == 1


@pytest.mark.parametrize("payload, field", [({"dry_run": False, "conflict": "merge"}, "conflict"),
                                            ({"dry_run": "perhaps"}, "dry_run")])
def test_backup_restore_view_bad_input_is_a_400_naming_the_field(admin_api, taken, payload, field):
    backup = taken(["catalogue"])

    response = admin_api.post(f"{LIST_URL}{backup.pk}/restore/", payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert not RestoreRun.objects.exists()


def test_backup_restore_view_of_a_failed_backup_is_a_409(admin_api, backup_dir):
    backup = Backup.objects.create(status=BackupStatus.FAILED, error="disk full")

    response = admin_api.post(f"{LIST_URL}{backup.pk}/restore/", {"dry_run": True}, format="json")

    assert response.status_code == 409 and "only a completed backup" in response.json()["detail"]


def test_unknown_backup_and_restore_are_404_naming_them(admin_api, backup_dir):
    assert admin_api.get(f"{LIST_URL}999999/").json() == {"detail": "Unknown backup."}
    assert admin_api.post(f"{LIST_URL}999999/restore/", {}, format="json").json() == {"detail": "Unknown backup."}
    assert admin_api.get("/api/v1/restores/999999/").json() == {"detail": "Unknown restore."}


def test_backup_create_view_unknown_sections_body_names_each(admin_api, backup_dir):
    response = admin_api.post(LIST_URL, {"sections": ["catalogue", "gold", "silver"]}, format="json")

    assert response.status_code == 400
    assert response.json()["unknown"] == ["gold", "silver"]
    assert not Backup.objects.exists()
