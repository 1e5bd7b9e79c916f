import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dataio.models import ExportJob, ExportStatus
from dataio.exports import export_job_run
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("dataio:export_list")
FILTERS_URL = reverse("dataio:export_filters")
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def stock(stocked, other_location):
    stocked(5, variant=factories.VariantFactory(sku="TEE-M"))
    stocked(0, variant=factories.VariantFactory(sku="MUG-1"), location=other_location)


def _job(user=None, *, type="stock", format="csv", run=True, **fields) -> ExportJob:
    job = ExportJob.objects.create(type=type, format=format, created_by=user, **fields)
    return export_job_run(job=job) if run else job


def _assert_csp_clean(html: str) -> None:
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "onclick=" not in html


def test_export_list_view_renders_the_form_templates_and_jobs(manager_client, manager_user, stock):
    job = _job(manager_user)

    response = manager_client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Exports</h1>" in html
    assert 'name="type"' in html and 'name="format"' in html
    assert 'value="products"' in html  # a Manager may export prices
    assert 'name="filter-category"' in html  # the first type's filters (products)
    assert reverse("dataio:export_template", kwargs={"import_type": "products", "fmt": "xlsx"}) in html
    assert f'id="export-{job.pk}"' in html
    assert reverse("dataio:export_download", kwargs={"export_id": job.pk}) in html
    assert f'href="{LIST_URL}"' in html and ">Export</a>" in html  # the nav link
    _assert_csp_clean(html)


def test_export_list_view_htmx_answers_the_jobs_fragment(manager_client, manager_user, stock):
    _job(manager_user)

    response = manager_client.get(LIST_URL, headers=HX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "export-table" in html
    assert "HX-Request" in response["Vary"]


def test_export_list_view_staff_is_offered_only_types_without_prices(staff_client):
    html = staff_client.get(LIST_URL).content.decode()

    assert 'value="stock"' in html and 'value="movements"' in html
    for money_type in ("products", "supplier_items", "purchase_orders", "sales_orders"):
        assert f'value="{money_type}"' not in html


def test_export_filters_view_swaps_the_fields_of_the_chosen_type(manager_client, stock):
    movements = manager_client.get(FILTERS_URL, {"type": "movements"}, headers=HX).content.decode()
    categories = manager_client.get(FILTERS_URL, {"type": "categories"}, headers=HX).content.decode()

    assert 'id="export-filters"' in movements
    assert 'name="filter-type"' in movements and 'name="filter-date_from"' in movements
    assert 'value="DAMAGE"' in movements and 'value="store"' in movements
    assert "no filters" in categories and "<html" not in categories


def test_export_filters_view_ignores_an_unknown_type(staff_client):
    response = staff_client.get(FILTERS_URL, {"type": "products"})  # Staff may not: their first type instead

    assert response.status_code == 200
    assert 'name="filter-location"' in response.content.decode()


def test_export_list_view_post_starts_the_export(manager_client, manager_user, stock,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(LIST_URL, {"type": "stock", "format": "xlsx", "filter-location": "store",
                                                  "filter-status": ""})

    assert response.status_code == 302 and response["Location"] == LIST_URL
    job = ExportJob.objects.get()
    assert (job.type, job.format, job.filters, job.created_by) == ("stock", "xlsx", {"location": "store"}, manager_user)
    assert job.status == ExportStatus.COMPLETED and job.row_count == 1
    page = manager_client.get(LIST_URL).content.decode()
    assert f"Export {job.pk} started" in page


def test_export_list_view_post_bad_filters_show_errors_and_start_nothing(manager_client, stock):
    response = manager_client.post(LIST_URL, {"type": "movements", "format": "csv",
                                              "filter-date_from": "2024-03-02", "filter-date_to": "2024-03-01"})

    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert not ExportJob.objects.exists()


def test_export_list_view_post_garbage_date_is_a_field_error(manager_client):
    response = manager_client.post(LIST_URL, {"type": "sales_orders", "format": "csv", "filter-date_from": "soon"})

    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()
    assert not ExportJob.objects.exists()


def test_export_list_view_staff_posting_a_money_type_gets_403(staff_client):
    for money_type in ("products", "supplier_items", "purchase_orders", "sales_orders"):
        assert staff_client.post(LIST_URL, {"type": money_type, "format": "csv"}).status_code == 403
    assert not ExportJob.objects.exists()


def test_export_list_view_staff_may_export_stock(staff_client, staff_user, stock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(LIST_URL, {"type": "stock", "format": "csv"})

    assert response.status_code == 302
    assert ExportJob.objects.get().created_by == staff_user


def test_export_detail_view_full_page_and_status_fragment(manager_client, manager_user, stock):
    job = _job(manager_user)
    url = reverse("dataio:export_detail", kwargs={"export_id": job.pk})

    page = manager_client.get(url)
    fragment = manager_client.get(url, headers={**HX, "HX-Target": "export-status"})

    assert page.status_code == 200
    assert f"Export {job.pk}: Stock levels" in page.content.decode()
    assert "2 rows" in page.content.decode()
    assert fragment.status_code == 286  # finished: polling stops
    assert 'id="export-status"' in fragment.content.decode() and "every 1s" not in fragment.content.decode()
    _assert_csp_clean(page.content.decode())


def test_export_detail_view_running_row_keeps_polling_then_stops(manager_client, manager_user, stock):
    job = _job(manager_user, run=False, status=ExportStatus.IN_PROGRESS, started_at=timezone.now(),
               rows_total=10, rows_done=4)
    url = reverse("dataio:export_detail", kwargs={"export_id": job.pk})
    headers = {**HX, "HX-Target": f"export-{job.pk}"}

    running = manager_client.get(url, headers=headers)
    html = running.content.decode()
    assert running.status_code == 200
    assert html.lstrip().startswith(f'<tr id="export-{job.pk}"')
    assert 'hx-trigger="every 1s"' in html and 'value="40"' in html and "4 / 10" in html

    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.PENDING, started_at=None)
    export_job_run(job=job)
    done = manager_client.get(url, headers=headers)
    assert done.status_code == 286
    assert "every 1s" not in done.content.decode() and "Download" in done.content.decode()


def test_export_detail_view_failed_job_shows_the_error(manager_client, manager_user):
    job = _job(manager_user, run=False, status=ExportStatus.FAILED, error="The export failed: boom")

    response = manager_client.get(reverse("dataio:export_detail", kwargs={"export_id": job.pk}))

    assert "The export failed: boom" in response.content.decode()


def test_export_detail_view_other_users_jobs_are_hidden_from_staff(client, manager_user, staff_user, stock):
    managers = _job(manager_user)
    staffs = _job(staff_user)

    def detail(job) -> int:
        return client.get(reverse("dataio:export_detail", kwargs={"export_id": job.pk})).status_code

    client.force_login(staff_user)
    assert (detail(managers), detail(staffs)) == (404, 200)
    assert f'id="export-{managers.pk}"' not in client.get(LIST_URL).content.decode()
    client.force_login(manager_user)
    assert (detail(managers), detail(staffs)) == (200, 200)


def test_export_detail_view_staff_never_sees_a_money_export(staff_client, manager_user):
    job = _job(None, run=False, type="products")

    assert staff_client.get(reverse("dataio:export_detail", kwargs={"export_id": job.pk})).status_code == 404
    assert staff_client.get(reverse("dataio:export_download", kwargs={"export_id": job.pk})).status_code == 404


def test_export_download_view_sends_the_file(manager_client, manager_user, stock):
    job = _job(manager_user, format="json")

    response = manager_client.get(reverse("dataio:export_download", kwargs={"export_id": job.pk}))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(rf'filename="stockroom-stock-\d{{8}}-\d{{4}}-{job.pk}\.json"', disposition)
    body = b"".join(response.streaming_content)
    assert b'"sku":"TEE-M"' in body


def test_export_download_view_not_ready_or_expired_goes_back_with_a_message(manager_client, manager_user, stock):
    pending = _job(manager_user, run=False)
    expired = _job(manager_user)
    ExportJob.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    for job, message in ((pending, "not finished yet"), (expired, "has expired")):
        url = reverse("dataio:export_download", kwargs={"export_id": job.pk})
        response = manager_client.get(url, follow=True)
        assert response.redirect_chain[0] == (reverse("dataio:export_detail", kwargs={"export_id": job.pk}), 302)
        assert message in response.content.decode()


def test_export_download_view_unknown_id_is_404(manager_client):
    assert manager_client.get(reverse("dataio:export_download", kwargs={"export_id": 999999})).status_code == 404


def test_export_template_view_downloads_csv_and_xlsx(staff_client):
    csv_response = staff_client.get(reverse("dataio:export_template",
                                            kwargs={"import_type": "stock_counts", "fmt": "csv"}))
    xlsx_response = staff_client.get(reverse("dataio:export_template",
                                             kwargs={"import_type": "products", "fmt": "xlsx"}))

    assert csv_response.status_code == 200
    assert csv_response["Content-Disposition"] == 'attachment; filename="stockroom-stock-counts-template.csv"'
    assert csv_response.content.decode("utf-8-sig").startswith("sku,location,counted,change,reason,type\r\n")
    assert xlsx_response.status_code == 200 and xlsx_response.content.startswith(b"PK")


@pytest.mark.parametrize("import_type, fmt", [("movements", "csv"), ("products", "pdf"), ("products", "json")])
def test_export_template_view_unknown_is_404(staff_client, import_type, fmt):
    url = reverse("dataio:export_template", kwargs={"import_type": import_type, "fmt": fmt})

    assert staff_client.get(url).status_code == 404


# --- who sees whose exports -----------------------------------------------------------------

def _export_urls(job: ExportJob) -> list[str]:
    return [reverse("dataio:export_detail", kwargs={"export_id": job.pk}),
            reverse("dataio:export_download", kwargs={"export_id": job.pk})]


def test_export_views_another_staff_members_or_an_ownerless_export_is_not_found(staff_client, stock):
    others = _job(factories.UserFactory(username="staff-b", role="Staff"))
    ownerless = _job(None)

    listed = staff_client.get(LIST_URL).content.decode()
    for job in (others, ownerless):
        assert f'id="export-{job.pk}"' not in listed
        assert [staff_client.get(url).status_code for url in _export_urls(job)] == [404, 404]


@pytest.mark.parametrize("role", ["Manager", "Admin"])
def test_export_views_managers_and_admins_see_and_download_everyones_exports(client, stock, role):
    others = _job(factories.UserFactory(username="staff-b", role="Staff"))
    ownerless = _job(None)
    client.force_login(factories.UserFactory(username=f"{role.lower()}-x", role=role))

    listed = client.get(LIST_URL).content.decode()
    for job in (others, ownerless):
        assert f'id="export-{job.pk}"' in listed
        assert [client.get(url).status_code for url in _export_urls(job)] == [200, 200]
