import re

import pytest

from dataio.models import ImportJob, ImportStatus
from inventory.models import Variant
from tests.e2e.test_purchase_flow import log_in, manager_user_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = "sku,product,category,price,cost\n"
BAD = HEADER + "E2E-MUG-RED,Enamel mug,,8.50,3.10\nE2E-MUG-BLUE,Enamel mug,,eight,3.10\n"
FIXED = HEADER + "E2E-MUG-RED,Enamel mug,,8.50,3.10\nE2E-MUG-BLUE,Enamel mug,,8.00,3.10\n"


def _csv(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def _upload(page, name: str, text: str) -> None:
    from playwright.sync_api import expect

    page.locator("nav summary", has_text="Data").click()  # the Data menu holds Import, Export, Bulk update
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Imports", exact=True)).to_be_visible()
    page.locator("input[type=file][name=file]").set_input_files(_csv(name, text))
    expect(page.locator("[data-drop-name]")).to_have_text(name)  # the drop zone's script saw the file
    page.get_by_label("What the file holds").select_option("products")
    page.get_by_role("button", name="Upload and check").click()


def test_import_flow_errors_fixed_file_processed_then_exported(page):
    from playwright.sync_api import expect

    manager_user_make()
    log_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # A file with a bad price: the check names the row (as in the spreadsheet) and the column.
    _upload(page, "mugs.csv", BAD)
    failed = ImportJob.objects.get()
    expect(page).to_have_url(re.compile(rf"/data/imports/{failed.pk}/$"))
    expect(page.locator("[data-count=error]")).to_have_text("1")
    # Not a green "Validated": the badge counts the bad rows; the preview shows "eight", marked.
    expect(page.locator("#job-status [data-status]")).to_have_text("Validated: 1 bad row")
    expect(page.locator("table.import-preview td.import-cell-invalid mark")).to_have_text("eight")
    errors = page.locator("table.import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first.locator("td").nth(0)).to_have_text("3")
    expect(errors.first.locator("td").nth(1)).to_have_text("price")
    expect(page.get_by_role("button", name="Download errors (CSV)")).to_have_attribute("href", f"/data/imports/{failed.pk}/errors.csv")
    assert not Variant.objects.filter(sku__startswith="E2E-MUG").exists()

    # The fixed file validates, shows its preview and is processed.
    _upload(page, "mugs-fixed.csv", FIXED)
    job = ImportJob.objects.exclude(pk=failed.pk).get()
    expect(page).to_have_url(re.compile(rf"/data/imports/{job.pk}/$"))
    expect(page.locator("#job-status [data-status]")).to_have_text("Validated")
    expect(page.locator("[data-count=create]")).to_have_text("2")
    expect(page.locator("table.import-preview")).to_contain_text("E2E-MUG-BLUE")
    page.get_by_role("button", name="Process import").click()
    # Whether the task ran at once or in a worker, the status area ends at Completed.
    expect(page.locator("#job-status [data-status]")).to_have_text("Completed", timeout=20_000)
    job.refresh_from_db()
    assert job.status == ImportStatus.COMPLETED
    assert set(Variant.objects.filter(sku__startswith="E2E-MUG").values_list("sku", flat=True)) == {
        "E2E-MUG-RED", "E2E-MUG-BLUE",
    }
    expect(page.get_by_role("button", name="Undo import")).to_be_visible()

    assert page.console_errors == []

    # Export the products as CSV and download the file: the new SKUs are in it.
    page.goto("/data/exports/")
    form = page.locator("form").filter(has=page.locator("select[name=type]"))
    form.locator("select[name=type]").select_option("products")
    if form.locator("select[name=format]").count():
        form.locator("select[name=format]").select_option("csv")
    else:
        form.locator("input[name=format][value=csv]").check()
    form.locator("button[type=submit], button:not([type])").first.click()
    download_link = page.locator("a[href*='/download']").first
    expect(download_link).to_be_visible(timeout=20_000)
    with page.expect_download() as info:
        download_link.click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    assert "E2E-MUG-RED" in text and "E2E-MUG-BLUE" in text

    assert page.console_errors == []
