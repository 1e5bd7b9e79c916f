"""Backup pages (Admins only): the list with "Back up now", a backup's page with verify,
download, delete and restore (preview or real), restoring an uploaded archive, a
restore's page with its per-model report, and the schedule.

Each view parses input with a form, reads with a selector or calls one service, and
picks a full page or, for htmx requests, a fragment. Backups and restores run in the
background: their status areas poll and stop (286) once the work is done.
"""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from backups.errors import ConflictPolicyRequired
from backups.forms import BackupCreateForm, RestoreForm, RestoreUploadForm, ScheduleForm
from backups.models import Backup, BackupSection, BackupStatus, RestoreRun, RestoreStatus
from backups.selectors import backup_list, restore_run_list
from backups.services.jobs import (
    RESTORE_RUNNING,
    RUNNING,
    backup_delete,
    backup_download_name,
    backup_download_open,
    backup_request,
    restore_request,
    verify_report_as_dict,
)
from backups.services.schedule import WEEKDAYS, schedule_get, schedule_next_runs, schedule_update
from core.exceptions import ApplicationError
from core.forms import form_error_add
from core.pagination import page_get
from core.selectors import audit_list_for

VIEW_PERM = "backups.view_backup"
ADD_PERM = "backups.add_backup"
CHANGE_PERM = "backups.change_backup"
DELETE_PERM = "backups.delete_backup"
RESTORE_PERM = "backups.restore_backup"
SCHEDULE_PERM = "backups.change_backupschedule"
PAGE_SIZE = 25
SCHEDULE_CHANGES = 20
SECTION_LABELS = dict(BackupSection.choices)
# A real restore into a database that holds data, without a conflict policy: the input is
# well-formed, but the database's state asks for a choice (as the API's 409).
POLICY_REQUIRED_STATUS = 409


def _backup_context(backup: Backup) -> dict:
    counts = backup.counts or {}
    return {
        "backup": backup,
        "running": backup.status in RUNNING,
        "total_rows": sum(value for value in counts.values() if isinstance(value, int)),
        "section_labels": [SECTION_LABELS.get(name, name) for name in backup.sections or []],
    }


def _stop_polling(response):
    """The same answer with status 286, which tells htmx to stop polling."""
    stopped = HttpResponseStopPolling(response.content, content_type=response["Content-Type"])
    for header in ("Vary", "HX-Trigger"):
        if response.has_header(header):
            stopped[header] = response[header]
    return stopped


# --- list and "back up now" --------------------------------------------------------

def _list_page(request, form, *, status: int = 200):
    page = page_get(request, backup_list(), default=PAGE_SIZE)
    page.object_list = [_backup_context(backup) for backup in page.object_list]
    context = {
        "form": form,
        "page_obj": page,
        "can_create": request.user.has_perm(ADD_PERM),
        "schedule": schedule_get(),
        "weekdays": WEEKDAYS,
    }
    if request.htmx and request.method == "GET" and not request.htmx.history_restore_request:
        template = "backups/backup_list.html#backup-rows"  # another page of the list
    else:
        template = "backups/backup_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@permission_required(VIEW_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def backup_list_view(request):
    if request.method == "GET":
        return _list_page(request, BackupCreateForm())
    if not request.user.has_perm(ADD_PERM):
        return _list_page(request, BackupCreateForm(), status=403)
    form = BackupCreateForm(request.POST)
    if form.is_valid():
        try:
            backup = backup_request(sections=form.cleaned_data["sections"], user=request.user)
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            messages.success(request, f"Backup {backup.pk} started: its status below changes when it is done.")
            return redirect("backups:backup_list")
    return _list_page(request, form, status=400)


@permission_required(VIEW_PERM, raise_exception=True)
@require_GET
def backup_status_view(request, backup_id: int):
    """A backup's live status: its row on the list or the status panel on its page
    (whichever polls), answered with 286 once the backup is done."""
    backup = get_object_or_404(backup_list(), pk=backup_id)
    if not request.htmx:
        return redirect("backups:backup_detail", backup_id=backup.pk)
    context = _backup_context(backup) | _actions_context(request, backup)
    if request.htmx.target == f"backup-{backup.pk}":
        template = "backups/backup_list.html#backup-row"
    else:
        template = "backups/backup_detail.html#backup-status"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    if context["running"]:
        return response
    return _stop_polling(response)


# --- one backup ------------------------------------------------------------------------

def _actions_context(request, backup: Backup, *, restore_form=None) -> dict:
    return {
        "counts": sorted((backup.counts or {}).items()),
        "restore_form": restore_form or RestoreForm(),
        "can_restore": request.user.has_perm(RESTORE_PERM) and backup.status == BackupStatus.COMPLETED,
        "can_verify": request.user.has_perm(CHANGE_PERM) and backup.status == BackupStatus.COMPLETED,
        "can_delete": request.user.has_perm(DELETE_PERM) and backup.status != BackupStatus.IN_PROGRESS,
    }


def _detail_page(request, backup: Backup, *, restore_form=None, verify=None, status: int = 200):
    context = {
        **_backup_context(backup),
        **_actions_context(request, backup, restore_form=restore_form),
        "verify": verify,
        "runs": restore_run_list(backup=backup)[:10],
    }
    return render(request, "backups/backup_detail.html", context, status=status)


@permission_required(VIEW_PERM, raise_exception=True)
@require_GET
def backup_detail_view(request, backup_id: int):
    backup = get_object_or_404(backup_list(), pk=backup_id)
    return _detail_page(request, backup)


@permission_required(VIEW_PERM, raise_exception=True)
@require_GET
def backup_download_view(request, backup_id: int):
    backup = get_object_or_404(backup_list(), pk=backup_id)
    try:
        file = backup_download_open(backup=backup)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("backups:backup_detail", backup_id=backup.pk)
    return FileResponse(file, as_attachment=True, filename=backup_download_name(backup=backup),
                        content_type="application/octet-stream")


@permission_required(DELETE_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def backup_delete_view(request, backup_id: int):
    backup = get_object_or_404(backup_list(), pk=backup_id)
    if request.method == "GET":
        return render(request, "backups/backup_delete.html", _backup_context(backup))
    try:
        backup_delete(backup=backup)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("backups:backup_detail", backup_id=backup.pk)
    messages.success(request, f"Backup {backup_id} and its file were deleted.")
    return redirect("backups:backup_list")


@permission_required(CHANGE_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def backup_verify_view(request, backup_id: int):
    """Check the backup's file now; the page shows the verdict per member."""
    from backups.services import backup_verify

    backup = get_object_or_404(backup_list(), pk=backup_id)
    if request.method == "GET":
        return redirect("backups:backup_detail", backup_id=backup.pk)
    if backup.status != BackupStatus.COMPLETED or not backup.file_name:
        messages.error(request, f"Backup {backup.pk} is {backup.get_status_display().lower()}: there is no file "
                                f"to verify.")
        return redirect("backups:backup_detail", backup_id=backup.pk)
    report = backup_verify(source=backup)
    backup.refresh_from_db()
    verify = verify_report_as_dict(report)
    verify["manifest"] = report.manifest or {}
    if request.htmx:
        response = render(request, "backups/backup_detail.html#verify-result", {"backup": backup, "verify": verify})
        patch_vary_headers(response, ["HX-Request"])
        return response
    return _detail_page(request, backup, verify=verify)


@permission_required(RESTORE_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def backup_restore_view(request, backup_id: int):
    backup = get_object_or_404(backup_list(), pk=backup_id)
    if request.method == "GET":
        return redirect("backups:backup_detail", backup_id=backup.pk)
    form = RestoreForm(request.POST)
    status = 400
    if form.is_valid():
        started, status = _restore_start(request, form, backup=backup)
        if started is not None:
            return started
    return _detail_page(request, backup, restore_form=form, status=status)


def _restore_start(request, form, **source) -> tuple[HttpResponse | None, int]:
    """Start the restore a valid form asks for, from `source` (backup=, upload= or
    from_run=): the redirect to its page, or None and the status to answer with the error
    put on the form."""
    try:
        run = restore_request(**source, dry_run=form.dry_run, conflict=form.cleaned_data["conflict"],
                              user=request.user)
    except ConflictPolicyRequired as exc:
        form.add_error("conflict", exc.message)
        return None, POLICY_REQUIRED_STATUS
    except ApplicationError as exc:
        form_error_add(form, exc)
        return None, exc.status_code
    messages.success(request, _run_started(run))
    return redirect("backups:restore_detail", run_id=run.pk), 200


def _run_started(run: RestoreRun) -> str:
    if run.dry_run:
        return "Preview started: nothing is changed. The report appears below when it is done."
    return "Restore started: a backup of the current data is taken first. This page follows its progress."


# --- restore from an uploaded file ------------------------------------------------------

@permission_required(RESTORE_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def restore_upload_view(request):
    if request.method == "GET":
        form = RestoreUploadForm()
        status = 200
    else:
        form = RestoreUploadForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            started, status = _restore_start(request, form, upload=form.cleaned_data["file"])
            if started is not None:
                return started
    context = {"form": form, "runs": restore_run_list().filter(backup__isnull=True)[:10]}
    return render(request, "backups/restore_upload.html", context, status=status)


# --- one restore --------------------------------------------------------------------------

def _run_context(request, run: RestoreRun, *, form=None) -> dict:
    report = run.report or {}
    models = report.get("models") or {}
    rows = [{"model": name, **(values if isinstance(values, dict) else {})} for name, values in sorted(models.items())]
    totals = {key: sum(int(row.get(key) or 0) for row in rows) for key in ("create", "update", "unchanged", "conflict")}
    source_ok = run.backup_id is not None or bool(run.upload_name)
    return {
        "run": run,
        "running": run.status in RESTORE_RUNNING,
        "rows": rows,
        "totals": totals,
        "verify": report.get("verify"),
        "report": report,
        # After a preview, the same source can be restored for real from here.
        "restore_form": form or (RestoreForm(initial={"mode": RestoreForm.MODE_RESTORE})
                                 if run.dry_run and run.status == RestoreStatus.COMPLETED and source_ok
                                 and request.user.has_perm(RESTORE_PERM) else None),
    }


@permission_required(VIEW_PERM, raise_exception=True)
@require_GET
def restore_detail_view(request, run_id: int):
    run = get_object_or_404(restore_run_list(), pk=run_id)
    context = _run_context(request, run)
    if not request.htmx:
        return render(request, "backups/restore_detail.html", context)
    response = render(request, "backups/restore_detail.html#restore-status", context)
    patch_vary_headers(response, ["HX-Request"])
    if context["running"]:
        return response
    return _stop_polling(response)


@permission_required(RESTORE_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def restore_again_view(request, run_id: int):
    """Restore (or preview again) the source of an earlier run: the same backup or upload."""
    previous = get_object_or_404(restore_run_list(), pk=run_id)
    if request.method == "GET":
        return redirect("backups:restore_detail", run_id=previous.pk)
    form = RestoreForm(request.POST)
    status = 400
    if form.is_valid():
        started, status = _restore_start(request, form, from_run=previous)
        if started is not None:
            return started
    return render(request, "backups/restore_detail.html", _run_context(request, previous, form=form), status=status)


# --- schedule ---------------------------------------------------------------------------

@permission_required(SCHEDULE_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def schedule_view(request):
    schedule = schedule_get()
    status = 200
    if request.method == "POST":
        form = ScheduleForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                schedule = schedule_update(**form.cleaned_data, user=request.user)
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, "Schedule saved.")
                return redirect("backups:schedule")
    else:
        form = ScheduleForm(initial={
            "daily_enabled": schedule.daily_enabled, "daily_time": schedule.daily_time,
            "weekly_enabled": schedule.weekly_enabled, "weekly_day": schedule.weekly_day,
            "weekly_time": schedule.weekly_time, "sections": schedule.sections,
        })
    context = {"form": form, "schedule": schedule, "next_runs": schedule_next_runs(schedule=schedule),
               "time_zone": settings.TIME_ZONE,
               "changes": list(audit_list_for(obj=schedule, limit=SCHEDULE_CHANGES)), "changes_limit": SCHEDULE_CHANGES}
    return render(request, "backups/schedule.html", context, status=status)
