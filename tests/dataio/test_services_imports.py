import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.exceptions import Conflict, IllegalTransition, ValidationFailed
from dataio.columns import IMPORT_COLUMNS
from dataio.importers import IMPORTERS
from dataio.models import ImportJob, ImportStatus
from dataio.services import imports
from dataio.services.imports import (
    import_errors_csv,
    import_job_create,
    import_job_process,
    import_job_undo,
    import_jobs_recover,
)
from dataio.services.workers import IMPORT_JOBS, worker_lock
from inventory.models import Variant
from suppliers.models import Supplier
from tests import factories
from tests.dataio.import_helpers import csv_bytes, errors, run, validate

pytestmark = pytest.mark.django_db


def test_import_job_create_keeps_the_file_and_its_hash():
    job = import_job_create(data=b"sku,product\nA,B\n", file_name="../../evil name.csv", type="products", mode="UPSERT")
    assert job.status == ImportStatus.PENDING and job.original_name == "evil name.csv"
    assert len(job.file_hash) == 64 and job.file_size == 16 and job.file_format == "csv"
    assert "/" not in job.file_name.split("imports/", 1)[1].split("/", 1)[1]


@pytest.mark.parametrize("kwargs, field", [
    ({"type": "nope"}, "type"),
    ({"mode": "MERGE"}, "mode"),
    ({"data": b""}, "file"),
])
def test_import_job_create_refuses_bad_input(kwargs, field):
    arguments = {"data": b"a\n1\n", "file_name": "f.csv", "type": "products", "mode": "UPSERT", **kwargs}
    with pytest.raises(ValidationFailed) as caught:
        import_job_create(**arguments)
    assert caught.value.field == field


def test_import_job_create_refuses_a_file_over_the_size_cap(settings):
    settings.IMPORT_MAX_MB = 1
    with pytest.raises(ValidationFailed, match="larger than 1 MB"):
        import_job_create(data=b"x" * (1024 * 1024 + 1), file_name="f.csv", type="products", mode="UPSERT")


def test_import_job_validate_missing_required_column_fails_with_one_error_on_row_1():
    job = validate(csv_bytes("sku,price", "A-1,2"), type="products")
    assert job.status == ImportStatus.FAILED and '"product"' in job.error
    assert errors(job) == [(1, "product", 'Required column "product" is missing from the header row.')]


def test_import_job_validate_unknown_columns_are_warnings(default_location):
    job = validate(csv_bytes("sku,product,colour", "A-1,Mug,red"), type="products")
    assert job.status == ImportStatus.VALIDATED
    assert job.warnings == ['Column "colour" is not one of ours and was ignored.']


def test_import_job_validate_unreadable_file_fails_naming_the_row():
    job = validate(b"sku,product\nA,B,C\n", type="products")
    assert job.status == ImportStatus.FAILED
    assert errors(job)[0][0] == 2


def test_import_job_validate_preview_and_counts():
    factories.VariantFactory(sku="OLD")
    job = validate(csv_bytes("sku,product,price", *[f"N-{n},Mug,1.5" for n in range(25)]), type="products")
    assert job.counts == {"create": 25, "update": 0, "unchanged": 0, "error": 0, "skipped": 0}
    assert len(job.preview) == 20
    assert job.preview[0] == {"row": 2, "action": "create", "values": {"sku": "N-0", "product": "Mug", "price": "1.50"}}
    assert job.row_count == 25


@pytest.mark.parametrize("type,lines,row,expected", [
    ("products", ["sku,product,price,active", "A-1,Mug,1.5,yes", "A-2,Mug,one fifty,maybe"], 3,
     {"sku": "A-2", "product": "Mug", "price": "one fifty", "active": "maybe"}),
    ("suppliers", ["name,email", "Acme,orders@acme.example", "Bad,not-an-address"], 3,
     {"name": "Bad", "email": "not-an-address"}),
    ("stock_counts", ["sku,location,counted,reason", "A-1,main,5,Count", "A-1,main,-x,Count"], 3,
     {"sku": "A-1", "location": "main", "counted": "-x"}),
])
def test_import_job_validate_preview_shows_bad_cells_as_typed_and_marked(default_location, type, lines, row, expected):
    factories.VariantFactory(sku="A-1")
    job = validate(csv_bytes(*lines), type=type)

    assert job.status == ImportStatus.VALIDATED and job.counts["error"] == 1
    bad = next(item for item in job.preview if item["row"] == row)
    assert bad["action"] == "error"
    assert {name: bad["values"].get(name) for name in expected} == expected
    assert set(bad["invalid"]) == set(expected) - {"sku", "product", "name", "location"}
    good = next(item for item in job.preview if item["row"] == 2)
    assert "invalid" not in good


def test_import_job_validate_caps_stored_errors_but_counts_them_all(settings, monkeypatch):
    monkeypatch.setattr(imports, "ERRORS_KEPT", 5)
    job = validate(csv_bytes("sku,product,price", "OK,Mug,1", *[f"E-{n},Mug,x" for n in range(12)]), type="products")
    assert job.counts["error"] == 12
    stored = errors(job)
    assert len(stored) == 6 and "7 more errors" in stored[-1][2]


def test_import_dry_run_writes_nothing_and_cannot_be_processed():
    job = validate(csv_bytes("sku,product", "A-1,Mug"), type="products", dry_run=True)
    assert job.status == ImportStatus.VALIDATED and job.counts["create"] == 1
    with pytest.raises(IllegalTransition, match="dry run"):
        import_job_process(job=job, on_error="rollback")
    assert not Variant.objects.filter(sku="A-1").exists()


def test_import_job_process_enqueues_on_commit_and_refuses_twice(django_capture_on_commit_callbacks):
    job = validate(csv_bytes("sku,product", "A-1,Mug"), type="products")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_job_process(job=job, on_error="skip")
    assert job.status == ImportStatus.IN_PROGRESS and len(callbacks) == 1
    assert not Variant.objects.filter(sku="A-1").exists()
    with pytest.raises(IllegalTransition):
        import_job_process(job=job, on_error="skip")
    with pytest.raises(ValidationFailed):
        import_job_process(job=job, on_error="maybe")


def test_import_job_run_is_idempotent(django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, csv_bytes("sku,product", "A-1,Mug"), type="products")
    assert job.status == ImportStatus.COMPLETED
    again = imports.import_job_run(job_id=job.pk)
    assert again.status == ImportStatus.COMPLETED
    assert Variant.objects.filter(sku="A-1").count() == 1 and job.changes.count() == 2


def test_import_reupload_of_an_imported_file_is_a_warning(django_capture_on_commit_callbacks):
    data = csv_bytes("sku,product", "A-1,Mug")
    first = run(django_capture_on_commit_callbacks, data, type="products")
    second = validate(data, type="products")
    assert second.status == ImportStatus.VALIDATED
    assert any(f"as job {first.pk}" in warning for warning in second.warnings)
    assert second.counts["unchanged"] == 1


def test_import_reupload_of_stock_counts_is_refused(stocked, django_capture_on_commit_callbacks):
    level = stocked(5)
    data = csv_bytes("sku,change,reason", f"{level.variant.sku},2,Found")
    first = run(django_capture_on_commit_callbacks, data, type="stock_counts")
    assert first.status == ImportStatus.COMPLETED
    second = validate(data, type="stock_counts")
    assert any("cannot be processed again" in warning for warning in second.warnings)
    with pytest.raises(Conflict, match=f"job {first.pk}"):
        import_job_process(job=second, on_error="rollback")
    level.refresh_from_db()
    assert level.on_hand == 7


def test_import_errors_csv_neutralises_formulas():
    job = validate(csv_bytes("sku,product,price", "=cmd(),Mug,abc"), type="products")
    lines = list(import_errors_csv(job=job))
    assert lines[0] == "row,column,message\r\n"
    assert lines[1].startswith("2,price,")
    job.row_errors.update(message="=HYPERLINK(1)")
    assert "'=HYPERLINK(1)" in "".join(import_errors_csv(job=job))


def test_import_job_undo_refuses_unapplied_or_old_jobs(manager_user, django_capture_on_commit_callbacks, settings):
    pending = validate(csv_bytes("sku,product", "A-1,Mug"), type="products")
    with pytest.raises(IllegalTransition):
        import_job_undo(job=pending, user=manager_user)
    job = run(django_capture_on_commit_callbacks, csv_bytes("sku,product", "B-1,Mug"), type="products")
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=settings.IMPORT_UNDO_DAYS + 1))
    job.refresh_from_db()
    with pytest.raises(IllegalTransition, match="days"):
        import_job_undo(job=job, user=manager_user)


def test_import_jobs_recover_fails_an_abandoned_job_and_says_so():
    job = validate(csv_bytes("sku,product", "A-1,Mug"), type="products")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IN_PROGRESS, started_at=timezone.now() - timedelta(hours=2))
    fresh = validate(csv_bytes("sku,product", "B-1,Mug"), type="products")
    ImportJob.objects.filter(pk=fresh.pk).update(status=ImportStatus.IN_PROGRESS, started_at=timezone.now())
    assert import_jobs_recover() == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.error.startswith("Interrupted") and "nothing was written" in job.error
    assert fresh.status == ImportStatus.IN_PROGRESS


# --- characters that cannot be stored, in every importable type ---------------------------

# A whole row of each type, every column filled; the second row of the file gets the bad
# character in one of its text columns.
FULL_ROWS = {
    "categories": {"name": "Mugs", "parent": "Kitchen"},
    "products": {"sku": "J-1", "product": "Mug", "category": "Kitchen", "description": "Big", "barcode": "501",
                 "attributes": "size=L", "price": "4.50", "cost": "1.00", "active": "true",
                 "product_active": "true", "track_inventory": "true"},
    "suppliers": {"name": "Acme", "contact_name": "Jo", "email": "jo@acme.example", "phone": "0113",
                  "address": "Leeds", "website": "https://acme.example", "notes": "Mondays", "active": "true"},
    "supplier_items": {"supplier": "Acme", "sku": "J-1", "supplier_sku": "AC-1", "unit_cost": "1.00",
                       "lead_time_days": "7", "minimum_order_quantity": "1", "preferred": "true"},
    "stock_counts": {"sku": "J-1", "location": "main", "counted": "3", "change": "", "reason": "Count", "type": ""},
}
TEXT_CELLS = [
    (type, column.name)
    for type, columns in IMPORT_COLUMNS.items()
    for column in columns if column.kind == "text"
]


@pytest.mark.parametrize("bad", ["\u0000", "\ud800", "\udc00", "\u0001"])
@pytest.mark.parametrize("type, column", TEXT_CELLS)
def test_import_job_validate_json_bad_character_in_any_text_cell_fails_naming_row_and_column(type, column, bad):
    second = {**FULL_ROWS[type], column: FULL_ROWS[type][column] + bad + "x"}
    data = json.dumps([FULL_ROWS[type], second])  # ensure_ascii: "\u0000", "\ud800" as JSON escapes

    job = validate(data, type=type, name="rows.json")

    assert job.status == ImportStatus.FAILED
    assert [(row, name) for row, name, _message in errors(job)] == [(3, column)]
    message = errors(job)[0][2]
    assert message.startswith(f'Row 3, column "{column}": the cell contains ') and "cannot be stored" in message
    assert job.error == message and job.finished_at is not None


@pytest.mark.parametrize("data, name", [
    (b"name\nMugs\nCu\x00ps\n", "rows.csv"),
    (b"name\nMugs\nCu\x07ps\n", "rows.csv"),
    ("name\nMugs\nCu\x00ps\n".encode("utf-16"), "rows.csv"),
])
def test_import_job_validate_csv_bad_character_fails_naming_row_and_column(data, name):
    job = validate(data, type="suppliers", name=name)

    assert job.status == ImportStatus.FAILED
    assert [(row, column) for row, column, _message in errors(job)] == [(3, "name")]


def test_import_job_validate_json_bad_character_in_a_key_fails_naming_row():
    job = validate('[{"name": "Acme", "no\\u0000tes": "x"}]', type="suppliers", name="rows.json")

    assert job.status == ImportStatus.FAILED
    assert [(row, column) for row, column, _message in errors(job)] == [(2, "no\\u0000tes")]


def test_import_job_create_drops_unstorable_characters_from_the_file_name():
    job = import_job_create(data=b"name\nAcme\n", file_name="sup\x00pli\ud800ers\x01.csv", type="suppliers",
                            mode="UPSERT")
    assert job.original_name == "suppliers.csv"


# --- a check or a run that dies ends FAILED, saying so -------------------------------------

def _plan_raising_runtime_error(job, *, user=None):
    raise RuntimeError("boom\nTraceback (most recent call last):\n  File ...")


def _plan_failing_in_the_database(job, *, user=None):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")


@pytest.mark.parametrize("broken", [_plan_raising_runtime_error, _plan_failing_in_the_database])
def test_import_job_validate_unexpected_error_ends_failed_saying_so(monkeypatch, broken):
    monkeypatch.setattr(imports, "_plan_file", broken)

    job = validate(csv_bytes("name", "Acme"), type="suppliers")

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.finished_at is not None
    assert job.error.startswith("The file could not be checked: an unexpected error stopped the check")
    assert f"import {job.pk}" in job.error and "Traceback" not in job.error and "\n" not in job.error
    assert list(import_errors_csv(job=job))[1].startswith('1,,"The file could not be checked')


def test_import_job_run_unexpected_error_ends_failed_saying_nothing_was_written(monkeypatch,
                                                                               django_capture_on_commit_callbacks):
    def broken(self, plans):
        raise RuntimeError("boom")

    monkeypatch.setattr(IMPORTERS["suppliers"], "apply", broken)

    job = run(django_capture_on_commit_callbacks, csv_bytes("name", "Acme", "Bolt"), type="suppliers")

    assert job.status == ImportStatus.FAILED and job.finished_at is not None
    assert job.error.startswith("Stopped by an unexpected error while importing")
    assert job.error.endswith("nothing was written. Upload the file again.")
    assert not Supplier.objects.exists()


def test_import_job_run_unexpected_error_skipping_says_what_was_written(monkeypatch, settings,
                                                                        django_capture_on_commit_callbacks):
    settings.IMPORT_BATCH_ROWS = 1
    apply = IMPORTERS["suppliers"].apply
    calls = []

    def second_batch_breaks(self, plans):
        calls.append(len(plans))
        if len(calls) == 2:
            raise RuntimeError("boom")
        return apply(self, plans)

    monkeypatch.setattr(IMPORTERS["suppliers"], "apply", second_batch_breaks)

    job = run(django_capture_on_commit_callbacks, csv_bytes("name", "Acme", "Bolt"), type="suppliers",
              on_error="skip")

    assert job.status == ImportStatus.FAILED
    assert "The first 1 of 2 rows were written (they can be undone)" in job.error
    assert list(Supplier.objects.values_list("name", flat=True)) == ["Acme"]


# --- recovery of every state a dead process leaves behind ----------------------------------

@pytest.mark.parametrize("status, says", [
    (ImportStatus.PENDING, "its check never started"),
    (ImportStatus.VALIDATING, "the process checking the file stopped"),
    (ImportStatus.IN_PROGRESS, "the worker stopped while importing"),
])
def test_import_jobs_recover_fails_every_working_state_left_stale(status, says):
    long_ago = timezone.now() - timedelta(hours=2)
    stale = ImportJob.objects.create(type="products", status=status)
    fresh = ImportJob.objects.create(type="products", status=status)
    waiting = ImportJob.objects.create(type="products", status=ImportStatus.VALIDATED)  # waits for the user
    ImportJob.objects.filter(pk__in=[stale.pk, waiting.pk]).update(created_at=long_ago)

    assert import_jobs_recover() == 1

    stale.refresh_from_db()
    assert stale.status == ImportStatus.FAILED and stale.finished_at is not None
    assert stale.error.startswith("Interrupted: ") and says in stale.error and "nothing was written" in stale.error
    assert ImportJob.objects.get(pk=fresh.pk).status == status
    assert ImportJob.objects.get(pk=waiting.pk).status == ImportStatus.VALIDATED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker locks are PostgreSQL advisory locks")
def test_import_jobs_recover_leaves_a_job_whose_process_is_alive():
    job = ImportJob.objects.create(type="products", status=ImportStatus.VALIDATING)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=2))

    with worker_lock(kind=IMPORT_JOBS, job_id=job.pk):
        assert import_jobs_recover() == 0
    assert import_jobs_recover() == 1
