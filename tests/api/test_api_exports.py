import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from dataio.models import ExportJob, ExportStatus
from dataio.exports import export_job_run
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/exports/"
JOB_KEYS = {
    "id", "type", "format", "filters", "status", "rows_done", "rows_total", "row_count", "progress", "file_size",
    "download_url", "created_at", "finished_at", "expires_at", "error",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def stock(stocked, other_location):
    stocked(5, variant=factories.VariantFactory(sku="TEE-M"))
    stocked(0, variant=factories.VariantFactory(sku="=MUG"), location=other_location)


def _create(api, body: dict, capture) -> tuple:
    with capture(execute=True):
        response = api.post(LIST_URL, body, format="json")
    return response, response.json()


def test_export_create_view_starts_and_finishes_a_job(manager_api, stock, django_capture_on_commit_callbacks):
    response, body = _create(manager_api, {"type": "stock", "format": "csv", "filters": {"location": "main"}},
                             django_capture_on_commit_callbacks)

    assert response.status_code == 201
    assert set(body) == JOB_KEYS
    assert (body["type"], body["format"], body["filters"]) == ("stock", "csv", {"location": "main"})
    job = ExportJob.objects.get(pk=body["id"])
    assert job.status == ExportStatus.COMPLETED and job.row_count == 1

    detail = manager_api.get(f"{LIST_URL}{job.pk}/").json()
    assert detail["status"] == "COMPLETED" and detail["progress"] == 100 and detail["row_count"] == 1
    assert detail["download_url"] == f"http://testserver/api/v1/exports/{job.pk}/download/"
    assert detail["file_size"] > 0 and detail["expires_at"] and detail["error"] == ""

    download = manager_api.get(detail["download_url"])
    assert download.status_code == 200
    assert "stockroom-stock-" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["sku", "product", "location"] and rows[1][0] == "TEE-M"


def test_export_create_view_neutralises_formula_text_in_csv(manager_api, stock, django_capture_on_commit_callbacks):
    _, body = _create(manager_api, {"type": "stock", "format": "csv"}, django_capture_on_commit_callbacks)

    download = manager_api.get(f"{LIST_URL}{body['id']}/download/")

    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["'=MUG", "TEE-M"]


@pytest.mark.parametrize("body, field", [
    ({"type": "nonsense", "format": "csv"}, "type"),
    ({"type": "stock", "format": "pdf"}, "format"),
    ({"format": "csv"}, "type"),
    ({"type": "stock", "format": "csv", "filters": {"colour": "red"}}, "filters"),
    ({"type": "movements", "format": "csv", "filters": {"date_from": "yesterday"}}, "filters"),
    ({"type": "stock", "format": "csv", "filters": "location=main"}, "filters"),
])
def test_export_create_view_bad_input_is_400_naming_the_field(manager_api, body, field):
    response = manager_api.post(LIST_URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(("filters", "message"), [
    ({"active": 0}, "Filter active: must be true or false."),
    ({"active": "yes"}, "Filter active: must be true or false."),
    ({"q": 42}, "Filter q: must be text."),
])
def test_export_create_view_filter_of_another_json_type_is_400(manager_api, filters, message):
    response = manager_api.post(LIST_URL, {"type": "suppliers", "format": "csv", "filters": filters}, format="json")

    assert response.status_code == 400
    assert response.json() == {"filters": [message]}
    assert not ExportJob.objects.exists()


def test_export_create_view_unknown_category_filter_is_404_naming_it(manager_api):
    response = manager_api.post(LIST_URL, {"type": "products", "format": "csv", "filters": {"category": 999999}},
                                format="json")

    assert response.status_code == 404
    assert "unknown category 999999" in response.json()["detail"]
    assert response.json()["filter"] == "category"
    assert not ExportJob.objects.exists()


def test_export_create_view_bad_filter_message_names_the_filter(manager_api):
    response = manager_api.post(LIST_URL, {"type": "movements", "format": "csv",
                                           "filters": {"date_from": "31/12/2024"}}, format="json")

    assert response.status_code == 400
    assert "date_from" in response.json()["filters"][0]


@pytest.mark.parametrize("type", ["products", "supplier_items", "purchase_orders", "sales_orders"])
def test_export_create_view_staff_gets_403_on_money_types(staff_api, type):
    response = staff_api.post(LIST_URL, {"type": type, "format": "csv"}, format="json")

    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_export_create_view_customer_and_anonymous_are_refused(customer_api, api_client):
    assert customer_api.post(LIST_URL, {"type": "stock", "format": "csv"}, format="json").status_code == 403
    assert customer_api.get(LIST_URL).status_code == 403
    assert api_client.get(LIST_URL).status_code == 401


def test_export_list_view_lists_own_jobs_for_staff_and_all_for_managers(staff_api, manager_api, staff_user,
                                                                         manager_user):
    mine = ExportJob.objects.create(type="stock", format="csv", created_by=staff_user)
    theirs = ExportJob.objects.create(type="stock", format="json", created_by=manager_user)
    money = ExportJob.objects.create(type="products", format="xlsx", created_by=staff_user)

    staff = staff_api.get(LIST_URL).json()
    manager = manager_api.get(LIST_URL).json()

    assert staff["count"] == 1 and [job["id"] for job in staff["results"]] == [mine.pk]
    assert {job["id"] for job in manager["results"]} == {mine.pk, theirs.pk, money.pk}
    assert set(manager) == {"count", "next", "previous", "results"}
    assert staff_api.get(f"{LIST_URL}{theirs.pk}/").status_code == 404
    pending = manager_api.get(f"{LIST_URL}{theirs.pk}/").json()
    assert pending["status"] == "PENDING" and pending["download_url"] is None and pending["progress"] == 0


def test_export_download_view_409_until_completed_and_410_once_expired(manager_api, manager_user, stock):
    job = ExportJob.objects.create(type="stock", format="xlsx", created_by=manager_user)
    url = f"{LIST_URL}{job.pk}/download/"

    assert manager_api.get(url).status_code == 409
    export_job_run(job=job)
    assert manager_api.get(url).status_code == 200
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    gone = manager_api.get(url)
    assert gone.status_code == 410 and "expired" in gone.json()["detail"]
    assert manager_api.get(f"{LIST_URL}{job.pk}/").json()["download_url"] is None


def test_export_download_view_failed_job_is_409_with_the_reason(manager_api, manager_user):
    job = ExportJob.objects.create(type="stock", format="csv", created_by=manager_user, status=ExportStatus.FAILED,
                                   error="The export failed: boom")

    response = manager_api.get(f"{LIST_URL}{job.pk}/download/")

    assert response.status_code == 409 and "boom" in response.json()["detail"]


def test_export_detail_view_unknown_is_404(manager_api):
    assert manager_api.get(f"{LIST_URL}999999/").status_code == 404
    assert manager_api.get(f"{LIST_URL}999999/download/").status_code == 404


def test_export_template_view_csv_and_xlsx(staff_api):
    csv_response = staff_api.get(f"{LIST_URL}templates/suppliers.csv")
    xlsx_response = staff_api.get(f"{LIST_URL}templates/stock_counts.xlsx")

    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode("utf-8-sig").splitlines()[0].startswith("name,contact_name,email")
    assert xlsx_response.status_code == 200 and xlsx_response.content.startswith(b"PK")
    assert 'filename="stockroom-stock-counts-template.xlsx"' in xlsx_response["Content-Disposition"]


@pytest.mark.parametrize("path", ["templates/movements.csv", "templates/products.pdf", "templates/products.json"])
def test_export_template_view_unknown_type_or_format_is_404(staff_api, path):
    response = staff_api.get(f"{LIST_URL}{path}")

    assert response.status_code == 404 and "detail" in response.json()


def test_export_template_view_customer_gets_403(customer_api):
    assert customer_api.get(f"{LIST_URL}templates/products.csv").status_code == 403


# --- who sees whose exports -----------------------------------------------------------------

def test_export_another_staff_members_or_an_ownerless_export_is_not_found(staff_api, stock):
    others = export_job_run(job=ExportJob.objects.create(
        type="stock", format="csv", created_by=factories.UserFactory(username="staff-b", role="Staff")))
    ownerless = export_job_run(job=ExportJob.objects.create(type="stock", format="csv"))

    assert staff_api.get(LIST_URL).json()["count"] == 0
    for job in (others, ownerless):
        assert staff_api.get(f"{LIST_URL}{job.pk}/").status_code == 404
        assert staff_api.get(f"{LIST_URL}{job.pk}/download/").status_code == 404


@pytest.mark.parametrize("role", ["Manager", "Admin"])
def test_export_managers_and_admins_see_and_download_everyones_exports(stock, role):
    from tests.api.helpers import token_client

    others = export_job_run(job=ExportJob.objects.create(
        type="stock", format="csv", created_by=factories.UserFactory(username="staff-b", role="Staff")))
    ownerless = export_job_run(job=ExportJob.objects.create(type="stock", format="csv"))
    api = token_client(factories.UserFactory(username=f"{role.lower()}-x", role=role))

    assert {job["id"] for job in api.get(LIST_URL).json()["results"]} == {others.pk, ownerless.pk}
    for job in (others, ownerless):
        assert api.get(f"{LIST_URL}{job.pk}/").json()["status"] == "COMPLETED"
        assert api.get(f"{LIST_URL}{job.pk}/download/").status_code == 200
