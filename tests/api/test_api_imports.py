import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dataio.models import ImportJob
from inventory.models import StockLevel, StockMovement, Variant
from tests import factories
from tests.api.helpers import token_client

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:import_list")
HEADER = "sku,product,category,price\n"
JOB_KEYS = {
    "id", "type", "mode", "dry_run", "status", "file_name", "file_hash", "row_count", "rows_done", "progress",
    "counts", "warnings", "errors", "error_count", "preview", "created_at", "finished_at", "error",
}


def _file(text: str | bytes, name="products.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, content_type="text/csv")


def _upload(client, text, *, type="products", mode="UPSERT", name="products.csv", **extra):
    data = {"file": _file(text, name), "type": type, "mode": mode, **extra}
    return client.post(LIST_URL, data, format="multipart")


def _url(name: str, job_id: int) -> str:
    return reverse(f"api:{name}", kwargs={"import_id": job_id})


def test_import_create_with_bad_rows_answers_failed_with_row_numbers(manager_api):
    text = HEADER + "API-1,Mug,,4.50\nAPI-2,Mug,,four\nAPI-3,,,1.00\n"

    response = _upload(manager_api, text)

    assert response.status_code == 201
    body = response.json()
    assert set(body) >= JOB_KEYS
    # Some rows are good: the job is checked (VALIDATED) and lists the bad rows; processing skips or refuses them.
    assert body["status"] in ("VALIDATED", "FAILED")
    assert body["error_count"] >= 2 and body["counts"]["error"] == 2
    rows = {(error["row"], error["column"]) for error in body["errors"]}
    assert (3, "price") in rows
    assert (4, "product") in rows
    assert not Variant.objects.filter(sku__startswith="API-").exists()


def test_import_create_validated_then_processed(manager_api, django_capture_on_commit_callbacks):
    text = HEADER + "API-1,Mug,,4.50\nAPI-2,Mug,,5.00\n"

    created = _upload(manager_api, text)

    assert created.status_code == 201
    job = created.json()
    assert job["status"] == "VALIDATED" and job["counts"]["create"] == 2 and job["errors"] == []
    assert job["file_name"] == "products.csv" and len(job["file_hash"]) == 64
    assert [row["row"] for row in job["preview"]] == [2, 3]

    with django_capture_on_commit_callbacks(execute=True):
        processed = manager_api.post(_url("import_process", job["id"]), {"on_error": "rollback"}, format="json")

    assert processed.status_code == 202
    detail = manager_api.get(_url("import_detail", job["id"])).json()
    assert detail["status"] == "COMPLETED" and detail["progress"] == 100
    assert set(Variant.objects.filter(sku__startswith="API-").values_list("sku", flat=True)) == {"API-1", "API-2"}


def test_import_process_twice_is_a_conflict(manager_api, django_capture_on_commit_callbacks):
    job = _upload(manager_api, HEADER + "API-1,Mug,,4.50\n").json()
    with django_capture_on_commit_callbacks(execute=True):
        manager_api.post(_url("import_process", job["id"]), {"on_error": "rollback"}, format="json")

    again = manager_api.post(_url("import_process", job["id"]), {"on_error": "rollback"}, format="json")

    assert again.status_code == 409


def test_import_process_dry_run_is_a_conflict(manager_api):
    job = _upload(manager_api, HEADER + "API-1,Mug,,4.50\n", dry_run="true").json()
    assert job["dry_run"] is True and job["status"] == "VALIDATED"

    response = manager_api.post(_url("import_process", job["id"]), {"on_error": "skip"}, format="json")

    assert response.status_code == 409
    assert not Variant.objects.filter(sku="API-1").exists()


def test_import_process_needs_on_error(manager_api):
    job = _upload(manager_api, HEADER + "API-1,Mug,,4.50\n").json()

    response = manager_api.post(_url("import_process", job["id"]), {"on_error": "maybe"}, format="json")

    assert response.status_code == 400 and "on_error" in response.json()


@pytest.mark.parametrize("data, field", [
    ({"type": "products"}, "file"),
    ({"file": "x", "type": "products"}, "file"),
    ({"type": "planets"}, "type"),
    ({"type": "products", "mode": "MERGE"}, "mode"),
])
def test_import_create_bad_fields_are_400_naming_the_field(manager_api, data, field):
    if data.get("file") == "x":
        data = {**data, "file": _file(b"", "empty.csv")}
    elif field != "file":
        data = {**data, "file": _file(HEADER + "A,B,,1\n")}

    response = manager_api.post(LIST_URL, data, format="multipart")

    assert response.status_code == 400
    assert field in response.json()
    assert not ImportJob.objects.filter(status="COMPLETED").exists()


def test_import_create_without_a_body_is_400_naming_the_fields(manager_api):
    response = manager_api.generic("POST", LIST_URL)

    assert response.status_code == 400
    assert set(response.json()) == {"file", "type"}
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("dry_run", ["", "maybe"])
def test_import_create_dry_run_that_is_no_boolean_is_400(manager_api, dry_run):
    upload = SimpleUploadedFile("counts.csv", b"sku,counted,reason\nA,1,shelf\n", content_type="text/csv")

    response = manager_api.post(LIST_URL, {"file": upload, "type": "stock_counts", "dry_run": dry_run},
                                format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["dry_run"]
    assert not ImportJob.objects.exists()


def test_import_create_oversized_file_is_400(manager_api, settings):
    settings.IMPORT_MAX_MB = 0

    response = _upload(manager_api, HEADER + "A,B,,1\n")

    assert response.status_code == 400 and "file" in response.json()


@pytest.mark.parametrize("content, name", [
    (b"\x00\x01\x02\x03\xff\xfe\x00garbage" * 50, "products.csv"),
    (b"PK\x03\x04 not really a zip", "products.xlsx"),
    (b"sku,product,category,price\n", "products.csv"),
    (b'{"not": "a list"', "products.json"),
])
def test_import_create_bad_files_are_400_or_failed_never_500(manager_api, content, name):
    response = _upload(manager_api, content, name=name)

    assert response.status_code in (201, 400)
    if response.status_code == 201:
        assert response.json()["status"] == "FAILED"
    else:
        assert response.json()


def test_import_staff_may_import_stock_counts_but_not_products(staff_api, stocked):
    level = stocked(5)
    text = f"sku,counted,reason\n{level.variant.sku},8,Quarterly count\n"

    products = _upload(staff_api, HEADER + "API-1,Mug,,4.50\n")
    counts = _upload(staff_api, text, type="stock_counts", name="counts.csv")

    assert products.status_code == 403
    assert counts.status_code == 201 and counts.json()["status"] == "VALIDATED"


def test_import_stock_counts_processed_through_the_ledger(staff_api, stocked, django_capture_on_commit_callbacks):
    level = stocked(5)
    job = _upload(staff_api, f"sku,counted,reason\n{level.variant.sku},8,Count\n", type="stock_counts",
                  name="counts.csv").json()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(_url("import_process", job["id"]), {"on_error": "rollback"}, format="json")

    assert response.status_code == 202
    assert StockLevel.objects.get(pk=level.pk).on_hand == 8
    assert StockMovement.objects.filter(import_job_id=job["id"]).count() == 1


def test_import_staff_does_not_see_product_imports(manager_api, staff_api):
    job = _upload(manager_api, HEADER + "API-1,Mug,,4.50\n").json()

    assert staff_api.get(_url("import_detail", job["id"])).status_code == 404
    assert staff_api.get(LIST_URL).json()["count"] == 0
    assert manager_api.get(LIST_URL).json()["count"] == 1


def test_import_list_is_paginated(manager_api):
    _upload(manager_api, HEADER + "API-1,Mug,,4.50\n")

    body = manager_api.get(LIST_URL).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["results"][0]["type"] == "products"


def test_import_detail_unknown_is_404(manager_api):
    assert manager_api.get(_url("import_detail", 999999)).status_code == 404


def test_import_undo_needs_a_manager(staff_api, manager_api, stocked, django_capture_on_commit_callbacks):
    level = stocked(5)
    job = _upload(staff_api, f"sku,counted,reason\n{level.variant.sku},8,Count\n", type="stock_counts",
                  name="counts.csv").json()
    with django_capture_on_commit_callbacks(execute=True):
        staff_api.post(_url("import_process", job["id"]), {"on_error": "rollback"}, format="json")

    refused = staff_api.post(_url("import_undo", job["id"]))
    undone = manager_api.post(_url("import_undo", job["id"]))

    assert refused.status_code == 403
    assert undone.status_code == 200
    assert undone.json()["undone"] >= 1 and undone.json()["left_alone"] == []
    assert StockLevel.objects.get(pk=level.pk).on_hand == 5
    assert manager_api.get(_url("import_detail", job["id"])).json()["status"] == "UNDONE"


def test_import_errors_csv(manager_api):
    job = _upload(manager_api, HEADER + "API-1,Mug,,four\n").json()

    response = manager_api.get(_url("import_errors", job["id"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "row" in text.splitlines()[0].lower() and "price" in text


def test_import_anonymous_is_401(api_client):
    assert api_client.get(LIST_URL).status_code == 401


# --- characters that cannot be stored, in every importable type ---------------------------

@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
@pytest.mark.parametrize("type, row, column", [
    ("categories", '{"name": "Mugs%s"}', "name"),
    ("products", '{"sku": "API-1", "product": "Mug%s", "price": "4.50"}', "product"),
    ("suppliers", '{"name": "Acme", "notes": "Mondays%s"}', "notes"),
    ("supplier_items", '{"supplier": "Acme", "sku": "API-1%s"}', "sku"),
    ("stock_counts", '{"sku": "API-1", "counted": 3, "reason": "Count%s"}', "reason"),
])
def test_import_create_json_with_nul_or_lone_surrogate_is_failed_naming_row_and_column(manager_api, type, row,
                                                                                       column, escape):
    text = f"[{row % ''}, {row % escape}]"

    response = _upload(manager_api, text, type=type, name="rows.json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "FAILED" and body["finished_at"]
    assert [(error["row"], error["column"]) for error in body["errors"]] == [(3, column)]
    assert body["errors"][0]["message"].startswith(f'Row 3, column "{column}": the cell contains ')
    assert manager_api.get(_url("import_detail", body["id"])).json()["status"] == "FAILED"


# --- who sees whose imports ---------------------------------------------------------------

@pytest.fixture
def other_staff_import(staff_user, stocked, django_capture_on_commit_callbacks):
    """A completed stock-count import by another Staff member, and its level."""
    owner_api = token_client(factories.UserFactory(username="staff-b", role="Staff"))
    level = stocked(5)
    job = _upload(owner_api, f"sku,counted,reason\n{level.variant.sku},8,Count\nNOPE,1,Count\n",
                  type="stock_counts", name="counts.csv").json()
    with django_capture_on_commit_callbacks(execute=True):
        owner_api.post(_url("import_process", job["id"]), {"on_error": "skip"}, format="json")
    return job["id"], level


def test_import_another_staff_members_import_is_not_found(staff_api, other_staff_import):
    job_id, level = other_staff_import

    assert staff_api.get(LIST_URL).json()["count"] == 0
    assert staff_api.get(_url("import_detail", job_id)).status_code == 404
    assert staff_api.get(_url("import_errors", job_id)).status_code == 404
    assert staff_api.post(_url("import_process", job_id), {"on_error": "skip"}, format="json").status_code == 404
    assert staff_api.post(_url("import_undo", job_id)).status_code == 404
    assert StockLevel.objects.get(pk=level.pk).on_hand == 8


@pytest.mark.parametrize("role", ["Manager", "Admin"])
def test_import_managers_and_admins_see_and_undo_everyones_imports(other_staff_import, role):
    job_id, level = other_staff_import
    api = token_client(factories.UserFactory(username=f"{role.lower()}-x", role=role))

    assert [job["id"] for job in api.get(LIST_URL).json()["results"]] == [job_id]
    assert api.get(_url("import_detail", job_id)).json()["status"] == "PARTIAL"
    assert api.get(_url("import_errors", job_id)).status_code == 200
    assert api.post(_url("import_undo", job_id)).status_code == 200
    assert StockLevel.objects.get(pk=level.pk).on_hand == 5
