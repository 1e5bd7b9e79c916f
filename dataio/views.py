"""Data pages: imports (upload, check, preview, process, undo) and the bulk stock update.

Each view parses input with a form, reads with a selector or calls one service, and
picks a full page or, for htmx requests, a fragment.
"""
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from core.exceptions import ApplicationError
from core.forms import form_error_add
from core.shortcuts import get_or_404
from dataio.forms_bulk import BulkRowForm, BulkUploadForm, bulk_row_forms
from dataio.forms_imports import ImportProcessForm, ImportUploadForm, import_type_permission
from dataio.models import ImportJob, ImportStatus, ImportType
from dataio.selectors_imports import import_job_get, import_job_list, import_job_row_errors
from inventory.services.bulk import MAX_BULK_LINES, BulkLine, stock_adjust_bulk
from orders.forms import VariantSearchForm
from orders.selectors import variant_search

ERROR_PAGE_SIZE = 50
RECENT_IMPORTS = 20
RUNNING = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.IN_PROGRESS)
UNDOABLE = (ImportStatus.COMPLETED, ImportStatus.PARTIAL)


# --- imports --------------------------------------------------------------

def _import_list_page(request, form, status: int = 200):
    # Offer only the types this role may import (Staff: stock counts), the first by default.
    allowed = [(value, label) for value, label in ImportType.choices
               if request.user.has_perm(import_type_permission(value))]
    if allowed:
        form.fields["type"].choices = allowed
        if not form.is_bound and form.initial.get("type", form.fields["type"].initial) not in dict(allowed):
            form.initial["type"] = allowed[0][0]
    allowed_types = {value for value, _label in allowed}
    context = {
        "form": form,
        "jobs": import_job_list(user=request.user)[:RECENT_IMPORTS],
        "templates": [link for link in _template_links() if link["type"] in allowed_types],
    }
    return render(request, "dataio/import_list.html", context, status=status)


def _template_links() -> list[dict[str, str]]:
    """An empty file per importable type (header and one example row), served by the export pages."""
    return [
        {"type": value, "label": label,
         **{fmt: reverse("dataio:export_template", kwargs={"import_type": value, "fmt": fmt}) for fmt in ("csv", "xlsx")}}
        for value, label in ImportType.choices
    ]


@permission_required("dataio.view_importjob", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_list_view(request):
    from dataio.services.imports import import_job_create, import_job_validate

    if request.method == "GET":
        initial = {}
        if request.GET.get("type") in ImportType.values:
            initial["type"] = request.GET["type"]
        return _import_list_page(request, ImportUploadForm(initial=initial))
    if not request.user.has_perm("dataio.import_data"):
        raise PermissionDenied
    form = ImportUploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        if not request.user.has_perm(import_type_permission(data["type"])):
            form.add_error("type", f"Your role may not import {ImportType(data['type']).label.lower()}.")
            return _import_list_page(request, form, status=403)
        upload = data["file"]
        try:
            job = import_job_create(
                data=upload.read(),
                file_name=upload.name or "upload",
                type=data["type"],
                mode=data["mode"],
                dry_run=data["dry_run"],
                user=request.user,
            )
            job = import_job_validate(job=job)
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            if job.status == ImportStatus.FAILED:
                messages.error(request, "The file has problems (listed below by row): fix them and upload it again.")
            elif job.status == ImportStatus.VALIDATED and job.counts.get("error"):
                bad = job.counts["error"]
                messages.warning(request, f"The file was checked: {bad} row{'s have' if bad > 1 else ' has'} problems "
                                          f"(listed below). Fix the file and upload it again, or process it "
                                          f"skipping bad rows.")
            elif job.status == ImportStatus.VALIDATED:
                messages.success(request, "The file was checked. Look at the preview, then process it.")
            return redirect("dataio:import_detail", import_id=job.pk)
    return _import_list_page(request, form, status=400)


def _detail_context(request, job: ImportJob, *, process_form=None) -> dict:
    errors = Paginator(import_job_row_errors(job=job), ERROR_PAGE_SIZE).get_page(request.GET.get("page"))
    can_process = (
        job.status == ImportStatus.VALIDATED and not job.dry_run
        and request.user.has_perm("dataio.import_data")
        and request.user.has_perm(import_type_permission(job.type))
    )
    undo_days = _undo_days()
    can_undo = (
        job.status in UNDOABLE and job.finished_at is not None
        and request.user.has_perm("dataio.undo_import")
        and timezone.now() - job.finished_at <= timezone.timedelta(days=undo_days)
    )
    return {
        "job": job,
        "errors_page": errors,
        "running": job.status in RUNNING,
        "process_form": process_form or (ImportProcessForm() if can_process else None),
        "can_undo": can_undo,
        "undo_days": undo_days,
        "preview_columns": _preview_columns(job),
        "undo_result": None,
    }


def _undo_days() -> int:
    return settings.IMPORT_UNDO_DAYS


def _preview_columns(job: ImportJob) -> list[str]:
    from dataio.columns import IMPORT_COLUMNS

    columns: list[str] = []
    for item in job.preview or []:
        for name in (item.get("values") or {}) if isinstance(item, dict) else ():
            if name not in columns:
                columns.append(name)
    # In the order of the type's columns (as in the templates and exports), others after.
    order = {column.name: index for index, column in enumerate(IMPORT_COLUMNS.get(job.type, []))}
    return sorted(columns, key=lambda name: order.get(name, len(order)))


@permission_required("dataio.view_importjob", raise_exception=True)
@require_GET
def import_detail_view(request, import_id: int):
    job = get_or_404(import_job_get, user=request.user, pk=import_id)
    context = _detail_context(request, job)
    if request.htmx and request.GET.get("fragment") == "errors":
        template = "dataio/import_detail.html#row-errors"
    else:
        template = "dataio/import_detail.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@permission_required("dataio.view_importjob", raise_exception=True)
@require_GET
def import_progress_view(request, import_id: int):
    """The status area; while the job runs the page polls it, and it answers 286 once done."""
    job = get_or_404(import_job_get, user=request.user, pk=import_id)
    context = _detail_context(request, job)
    if request.htmx and job.status not in RUNNING:
        # Done: the whole status area once more (with counts and actions), and stop polling.
        response = render(request, "dataio/import_detail.html#job-status", context)
        response.status_code = HttpResponseStopPolling.status_code
        response["HX-Trigger"] = "import-finished"  # the problems table reloads itself
        return response
    return render(request, "dataio/import_detail.html#job-status", context)


@permission_required("dataio.import_data", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_process_view(request, import_id: int):
    from dataio.services.imports import import_job_process

    job = get_or_404(import_job_get, user=request.user, pk=import_id)
    if request.method == "GET":  # e.g. back here after logging in again: show the job
        return redirect("dataio:import_detail", import_id=job.pk)
    if not request.user.has_perm(import_type_permission(job.type)):
        raise PermissionDenied
    form = ImportProcessForm(request.POST)
    if form.is_valid():
        try:
            job = import_job_process(job=job, on_error=form.cleaned_data["on_error"], user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            job.refresh_from_db()
            if job.status in RUNNING:
                messages.info(request, "Processing started: this page follows its progress.")
            else:
                messages.success(request, f"Import {job.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose what to do with bad rows: all or nothing, or skip them.")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("dataio:import_detail", kwargs={"import_id": job.pk}))
    return redirect("dataio:import_detail", import_id=job.pk)


@permission_required("dataio.view_importjob", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_undo_view(request, import_id: int):
    from dataio.services.imports import import_job_undo

    # Someone else's job is "not found" even to those who may not undo.
    job = get_or_404(import_job_get, user=request.user, pk=import_id)
    if not request.user.has_perm("dataio.undo_import"):
        raise PermissionDenied
    if request.method == "GET":
        return redirect("dataio:import_detail", import_id=job.pk)
    try:
        result = import_job_undo(job=job, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        noun = "change" if result.undone == 1 else "changes"
        messages.success(request, f"Import undone: {result.undone} {noun} reversed.")
        if result.left_alone:
            messages.warning(request, f"Left alone because they changed since: {'; '.join(result.left_alone[:20])}"
                                      f"{' …' if len(result.left_alone) > 20 else ''}")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("dataio:import_detail", kwargs={"import_id": job.pk}))
    return redirect("dataio:import_detail", import_id=job.pk)


@permission_required("dataio.view_importjob", raise_exception=True)
@require_GET
def import_errors_view(request, import_id: int):
    from dataio.services.imports import import_errors_csv

    job = get_or_404(import_job_get, user=request.user, pk=import_id)
    response = StreamingHttpResponse(import_errors_csv(job=job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


# --- bulk stock update ----------------------------------------------------

def _bulk_page(request, rows, *, upload_form=None, form_error: str = "", previewed: bool = False, status: int = 200):
    context = {
        "rows": rows or [BulkRowForm()],
        "upload_form": upload_form or BulkUploadForm(),
        "form_error": form_error,
        "previewed": previewed,
        "max_lines": MAX_BULK_LINES,
        "applied": _applied_count(request),
        "history_url": _history_url(request),
    }
    template = "dataio/bulk_update.html#bulk-form" if request.htmx else "dataio/bulk_update.html"
    # htmx swaps only successful answers: a fragment with errors still answers 200.
    response = render(request, template, context, status=200 if request.htmx else status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _applied_count(request) -> int | None:
    value = request.GET.get("applied", "")
    return int(value) if value.isdigit() and len(value) < 6 else None


def _history_url(request) -> str:
    today = timezone.localdate().isoformat()
    return f"{reverse('inventory:movement_list')}?user={request.user.pk}&date_from={today}"


def _bulk_lines(filled: list[BulkRowForm]) -> list[BulkLine]:
    return [
        BulkLine(variant=row.cleaned_data["variant"], location=row.cleaned_data.get("location"),
                 quantity=row.cleaned_data["quantity"], type=row.cleaned_data["type"],
                 reason=row.cleaned_data["reason"])
        for row in filled
    ]


def _bulk_run(request, rows: list[BulkRowForm], *, apply: bool):
    """Check the rows, then preview (dry run) or apply them. Returns the page, or the redirect after applying."""
    if len(rows) > MAX_BULK_LINES:
        return _bulk_page(request, rows[:MAX_BULK_LINES], status=400,
                          form_error=f"At most {MAX_BULK_LINES} lines at once: split the update.")
    filled = [row for row in rows if not row.is_blank]
    if not filled:
        return _bulk_page(request, rows, form_error="Add at least one line: a SKU, a change and a reason.", status=400)
    if not all([row.is_valid() for row in filled]):  # a list: every row gets its errors
        return _bulk_page(request, rows, form_error="Some lines have problems: nothing was changed.", status=400)
    try:
        results = stock_adjust_bulk(lines=_bulk_lines(filled), user=request.user, dry_run=not apply)
    except ApplicationError as exc:
        for item in exc.details.get("lines", []):
            filled[item["line"] - 1].problem = item["message"]
        for item in exc.details.get("preview", []):
            filled[item["line"] - 1].result = item
        return _bulk_page(request, rows, form_error=exc.message, previewed=not apply, status=exc.status_code)
    if apply:
        noun = "line" if len(results) == 1 else "lines"
        messages.success(request, f"{len(results)} {noun} applied.")
        url = f"{reverse('dataio:bulk_update')}?applied={len(results)}"
        if request.htmx:
            return HttpResponseClientRedirect(url)
        return redirect(url)
    for row, result in zip(filled, results):
        row.result = {"before": result.before, "after": result.after, "location": result.location.code}
    return _bulk_page(request, rows, previewed=True)


@permission_required("inventory.adjust_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def bulk_update_view(request):
    if request.method == "GET":
        if request.htmx and "add_row" in request.GET:
            return render(request, "dataio/bulk_update.html#bulk-row", {"row": BulkRowForm()})
        return _bulk_page(request, [BulkRowForm()])
    action = request.POST.get("action", "preview")
    if action == "upload":
        upload_form = BulkUploadForm(request.POST, request.FILES)
        if not upload_form.is_valid():
            return _bulk_page(request, [BulkRowForm()], upload_form=upload_form, status=400)
        try:
            data = upload_form.rows()
        except forms.ValidationError as exc:
            upload_form.add_error("file", exc)
            return _bulk_page(request, [BulkRowForm()], upload_form=upload_form, status=400)
        rows = [BulkRowForm(row) for row in data]
        return _bulk_run(request, rows, apply=False)
    return _bulk_run(request, bulk_row_forms(request.POST), apply=action == "apply")


@permission_required("inventory.adjust_stock", raise_exception=True)
@require_GET
def variant_search_view(request):
    term = VariantSearchForm(request.GET).term
    variants = list(variant_search(q=term)) if term else []
    return render(request, "orders/partials/_variant_results.html", {"variants": variants, "term": term})
