import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dataio.models import ImportJob
from inventory.models import StockLevel, Variant
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("dataio:import_list")
HEADER = "sku,product,category,price\n"


def _upload(client, text, *, type="products", mode="UPSERT", name="products.csv", **extra):
    upload = SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, content_type="text/csv")
    return client.post(LIST_URL, {"file": upload, "type": type, "mode": mode, **extra})


def _url(name: str, job: ImportJob) -> str:
    return reverse(f"dataio:{name}", kwargs={"import_id": job.pk})


def test_import_list_view_shows_the_upload_form_and_recent_jobs(manager_client):
    ImportJob.objects.create(type="products", original_name="old-catalogue.csv", status="FAILED")

    response = manager_client.get(LIST_URL)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in body and "data-drop-for" in body and "js/dataio.js" in body
    assert "old-catalogue.csv" in body
    assert 'href="/data/exports/templates/products.csv"' in body and 'href="/data/exports/templates/stock_counts.xlsx"' in body
    assert "<script>" not in body and "onclick" not in body and "style=" not in body


def test_import_list_view_nav_link(staff_client):
    body = staff_client.get(reverse("core:dashboard")).content.decode()
    assert f'href="{LIST_URL}"' in body


def test_import_list_view_upload_with_errors_shows_rows(manager_client):
    response = _upload(manager_client, HEADER + "WEB-1,Mug,,4.50\nWEB-2,Mug,,four\n")

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("import_detail", job)
    assert job.counts["error"] == 1
    page = manager_client.get(response["Location"]).content.decode()
    assert '<td class="num" data-count="error">1</td>' in page
    assert '<td class="num">3</td>' in page and "price" in page
    assert "Download errors (CSV)" in page
    assert not Variant.objects.filter(sku__startswith="WEB-").exists()


def test_import_detail_view_bad_rows_badge_counts_them_and_preview_shows_the_typed_value(manager_client):
    _upload(manager_client, HEADER + "WEB-1,Mug,,4.50\nWEB-2,Mug,,four\nWEB-3,Mug,,-1\n")
    job = ImportJob.objects.get()
    assert job.status == "VALIDATED" and job.counts["error"] == 2

    page = manager_client.get(_url("import_detail", job)).content.decode()

    # Not the green "Validated" of a clean file: the badge says how many rows are bad.
    assert 'class="import-status import-status-has-errors" data-status="VALIDATED" data-bad-rows="2">' \
           "Validated: 2 bad rows</strong>" in page
    assert "import-status-validated" not in page
    # The preview shows the bad price as it was typed, marked.
    marked = '<td class="import-cell-invalid"><mark>four</mark><span class="visually-hidden"> (not valid)</span></td>'
    assert marked in page
    assert '<td class="import-cell-invalid"><mark>-1</mark>' in page
    assert "<td>4.50</td>" in page
    listing = manager_client.get(LIST_URL).content.decode()
    assert "Validated: 2 bad rows" in listing


def test_import_detail_view_clean_file_badge_stays_validated(manager_client):
    _upload(manager_client, HEADER + "WEB-1,Mug,,4.50\n")
    job = ImportJob.objects.get()

    page = manager_client.get(_url("import_detail", job)).content.decode()

    assert 'class="import-status import-status-validated" data-status="VALIDATED">Validated</strong>' in page
    assert "import-cell-invalid" not in page and "Validated:" not in page


def test_import_detail_view_all_rows_bad_cannot_be_processed(manager_client):
    _upload(manager_client, HEADER + "WEB-2,Mug,,four\n")
    job = ImportJob.objects.get()

    page = manager_client.get(_url("import_detail", job)).content.decode()

    assert job.status == "FAILED" and "Failed" in page
    assert "Process import" not in page


def test_import_detail_view_fixed_file_processed(manager_client, django_capture_on_commit_callbacks):
    response = _upload(manager_client, HEADER + "WEB-1,Mug,,4.50\nWEB-2,Mug,,5.00\n")
    job = ImportJob.objects.get()
    page = manager_client.get(response["Location"]).content.decode()
    assert job.status == "VALIDATED"
    assert "Preview" in page and "WEB-1" in page and "Process import" in page

    with django_capture_on_commit_callbacks(execute=True):
        processed = manager_client.post(_url("import_process", job), {"on_error": "rollback"})

    job.refresh_from_db()
    assert processed.status_code == 302
    assert job.status == "COMPLETED"
    assert set(Variant.objects.filter(sku__startswith="WEB-").values_list("sku", flat=True)) == {"WEB-1", "WEB-2"}
    page = manager_client.get(_url("import_detail", job)).content.decode()
    assert "Completed" in page and "Undo import" in page and "hx-confirm" in page


def test_import_process_view_htmx_redirects(manager_client):
    _upload(manager_client, HEADER + "WEB-1,Mug,,4.50\n")
    job = ImportJob.objects.get()

    response = manager_client.post(_url("import_process", job), {"on_error": "skip"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and response["HX-Redirect"] == _url("import_detail", job)


def test_import_process_view_get_goes_back_to_the_job(manager_client):
    job = ImportJob.objects.create(type="products", status="FAILED")
    assert manager_client.get(_url("import_process", job))["Location"] == _url("import_detail", job)


def test_import_progress_view_polls_while_running_and_stops_when_done(manager_client):
    job = ImportJob.objects.create(type="products", status="IN_PROGRESS", row_count=10, rows_done=4)

    running = manager_client.get(_url("import_progress", job), HTTP_HX_REQUEST="true")
    body = running.content.decode()
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in body and 'value="4"' in body and "<html" not in body

    job.status, job.rows_done = "COMPLETED", 10
    job.save()
    done = manager_client.get(_url("import_progress", job), HTTP_HX_REQUEST="true")
    assert done.status_code == 286
    assert "every 1s" not in done.content.decode() and "Completed" in done.content.decode()


def test_import_detail_view_htmx_errors_fragment(manager_client):
    _upload(manager_client, HEADER + "WEB-2,Mug,,four\n")
    job = ImportJob.objects.get()

    response = manager_client.get(_url("import_detail", job) + "?fragment=errors", HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith('<section id="row-errors"') and "price" in body


def test_import_detail_view_garbage_page_parameter(manager_client):
    _upload(manager_client, HEADER + "WEB-2,Mug,,four\n")
    job = ImportJob.objects.get()
    assert manager_client.get(_url("import_detail", job) + "?page=zzz").status_code == 200


def test_import_detail_view_unknown_is_404(manager_client):
    assert manager_client.get(reverse("dataio:import_detail", kwargs={"import_id": 987654})).status_code == 404


def test_import_errors_view_downloads_csv(manager_client):
    _upload(manager_client, HEADER + "WEB-2,Mug,,four\n")
    job = ImportJob.objects.get()

    response = manager_client.get(_url("import_errors", job))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "price" in b"".join(response.streaming_content).decode("utf-8-sig")


def test_import_list_view_staff_may_not_import_products(staff_client):
    response = _upload(staff_client, HEADER + "WEB-1,Mug,,4.50\n")

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_import_list_view_staff_imports_stock_counts(staff_client, stocked, django_capture_on_commit_callbacks):
    level = stocked(5)

    response = _upload(staff_client, f"sku,counted,reason\n{level.variant.sku},9,Count\n", type="stock_counts",
                       name="counts.csv")

    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == "VALIDATED"
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(_url("import_process", job), {"on_error": "rollback"})
    job.refresh_from_db()
    assert job.status == "COMPLETED"
    assert StockLevel.objects.get(pk=level.pk).on_hand == 9
    # Staff may not undo.
    assert "Undo import" not in staff_client.get(_url("import_detail", job)).content.decode()
    assert staff_client.post(_url("import_undo", job)).status_code == 403


def test_import_undo_view_reverses_stock(manager_client, stocked, django_capture_on_commit_callbacks):
    level = stocked(5)
    _upload(manager_client, f"sku,counted,reason\n{level.variant.sku},9,Count\n", type="stock_counts",
            name="counts.csv")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(_url("import_process", job), {"on_error": "rollback"})

    response = manager_client.post(_url("import_undo", job), HTTP_HX_REQUEST="true")

    job.refresh_from_db()
    assert response.status_code == 200 and response["HX-Redirect"] == _url("import_detail", job)
    assert job.status == "UNDONE"
    assert StockLevel.objects.get(pk=level.pk).on_hand == 5
    page = manager_client.get(_url("import_detail", job)).content.decode()
    assert "Import undone" in page


@pytest.mark.parametrize("content, name", [
    (b"", "empty.csv"),
    (b"\x00\x01\x02\xff\xfe garbage" * 20, "products.csv"),
    (b"sku,product,category,price\n", "products.csv"),
    (b"PK\x03\x04broken", "products.xlsx"),
])
def test_import_list_view_bad_files_never_500(manager_client, content, name):
    response = _upload(manager_client, content, name=name)

    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert ImportJob.objects.get().status == "FAILED"
    else:
        assert 'class="field-error"' in response.content.decode() or 'class="form-error"' in response.content.decode()


def test_import_list_view_bad_type_and_mode(manager_client):
    response = _upload(manager_client, HEADER + "A,B,,1\n", type="planets", mode="MERGE")

    assert response.status_code == 400
    assert not ImportJob.objects.exists()


# --- characters that cannot be stored ---------------------------------------------------

@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_import_list_view_json_with_nul_or_lone_surrogate_fails_naming_row_and_column(staff_client, stocked,
                                                                                     escape):
    level = stocked(5)
    text = f'[{{"sku": "{level.variant.sku}", "counted": 9, "reason": "Count{escape}"}}]'

    response = _upload(staff_client, text, type="stock_counts", name="counts.json")

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("import_detail", job)
    assert job.status == "FAILED"
    assert list(job.row_errors.values_list("row", "column")) == [(2, "reason")]
    page = staff_client.get(response["Location"]).content.decode()
    assert 'Row 2, column &quot;reason&quot;: the cell contains' in page
    progress = staff_client.get(_url("import_progress", job), HTTP_HX_REQUEST="true")
    assert progress.status_code == 286  # the page stops polling
    assert StockLevel.objects.get(pk=level.pk).on_hand == 5


# --- who sees whose imports ---------------------------------------------------------------

@pytest.fixture
def other_staff_import(db):
    """A finished stock-count import by another Staff member, with an error listed."""
    owner = factories.UserFactory(username="staff-b", role="Staff")
    job = ImportJob.objects.create(type="stock_counts", status="COMPLETED", original_name="b-counts.csv",
                                   created_by=owner, finished_at=timezone.now())
    job.row_errors.create(row=2, column="sku", message="No variant with SKU X.")
    return job


def test_import_views_another_staff_members_import_is_not_found(staff_client, other_staff_import):
    job = other_staff_import

    assert f'href="{_url("import_detail", job)}"' not in staff_client.get(LIST_URL).content.decode()
    assert staff_client.get(_url("import_detail", job)).status_code == 404
    assert staff_client.get(_url("import_progress", job), HTTP_HX_REQUEST="true").status_code == 404
    assert staff_client.get(_url("import_errors", job)).status_code == 404
    assert staff_client.post(_url("import_process", job), {"on_error": "rollback"}).status_code == 404
    assert staff_client.post(_url("import_undo", job)).status_code == 404
    job.refresh_from_db()
    assert job.status == "COMPLETED"


@pytest.mark.parametrize("role", ["Manager", "Admin"])
def test_import_views_managers_and_admins_see_everyones_imports(client, other_staff_import, role):
    job = other_staff_import
    client.force_login(factories.UserFactory(username=f"{role.lower()}-x", role=role))

    assert f'href="{_url("import_detail", job)}"' in client.get(LIST_URL).content.decode()
    assert client.get(_url("import_detail", job)).status_code == 200
    errors = client.get(_url("import_errors", job))
    assert errors.status_code == 200 and "No variant with SKU X." in b"".join(errors.streaming_content).decode()


def test_import_views_staff_see_their_own_imports(client, other_staff_import):
    client.force_login(other_staff_import.created_by)

    assert client.get(_url("import_detail", other_staff_import)).status_code == 200
    assert client.get(_url("import_errors", other_staff_import)).status_code == 200
    assert client.post(_url("import_undo", other_staff_import)).status_code == 403  # Staff may not undo
