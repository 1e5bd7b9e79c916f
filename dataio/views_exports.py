"""Export pages: choose a type, a format and filters; follow the job's progress; download
the file; download import templates.

Seeing export jobs needs dataio.view_exportjob, starting one dataio.export_data, and a
type with prices or costs also inventory.view_prices. A job is seen by the user who
started it and by Managers and Admins (dataio.selectors); anyone else's is a 404.
"""
from django.contrib import messages
from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from core.exceptions import ApplicationError
from core.forms import form_error_add
from core.pagination import page_get
from core.shortcuts import get_or_404
from dataio.exports import (
    export_download_name,
    export_file_open,
    export_job_create,
    export_job_is_expired,
    export_template,
    export_type_allowed,
    export_types_for,
)
from dataio.forms_exports import ExportFilterForm, ExportForm
from dataio.models import ExportJob, ExportType
from dataio.selectors_exports import RUNNING, export_job_get, export_job_list, export_job_progress
from dataio.writers import CONTENT_TYPES

VIEW_PERM = "dataio.view_exportjob"
EXPORT_PERM = "dataio.export_data"
JOB_PAGE_SIZE = 25


def _chosen_type(request, data) -> str:
    """The export type the form is for: the one asked for when the user may export it,
    else the first they may."""
    allowed = [value for value, _ in export_types_for(user=request.user)]
    wanted = data.get("type", "")
    if wanted in allowed:
        return wanted
    return allowed[0] if allowed else ExportType.STOCK


def _job_context(job: ExportJob) -> dict:
    return {
        "job": job,
        "progress": export_job_progress(job=job),
        "running": job.status in RUNNING,
        "expired": export_job_is_expired(job=job),
    }


def _jobs_page(request):
    page = page_get(request, export_job_list(user=request.user), default=JOB_PAGE_SIZE)
    page.object_list = [_job_context(job) for job in page.object_list]
    return page


def _add_service_error(form: ExportForm, filter_form: ExportFilterForm, exc: ApplicationError) -> None:
    """A filter's error beside that filter (the service names it in `details`), else as on any form."""
    name = exc.details.get("filter")
    if name in filter_form.fields:
        filter_form.add_error(name, exc.message)
    else:
        form_error_add(form, exc)


@permission_required(VIEW_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def export_list_view(request):
    if request.method == "POST":
        if not request.user.has_perm(EXPORT_PERM):
            raise PermissionDenied("You do not have permission to export data.")
        wanted = request.POST.get("type", "")
        if wanted in ExportType.values and not export_type_allowed(user=request.user, type=wanted):
            raise PermissionDenied("Exporting this needs the permission to see prices.")
        export_type = _chosen_type(request, request.POST)
        form = ExportForm(request.POST, user=request.user)
        filter_form = ExportFilterForm(request.POST, type=export_type)
        if form.is_valid() and filter_form.is_valid():
            try:
                job = export_job_create(type=form.cleaned_data["type"], format=form.cleaned_data["format"],
                                        filters=filter_form.filters(), user=request.user)
            except ApplicationError as exc:
                _add_service_error(form, filter_form, exc)
            else:
                messages.success(request, f"Export {job.pk} started: it is listed below until its file is ready.")
                return redirect("dataio:export_list")
        status = 400
    else:
        export_type = _chosen_type(request, request.GET)
        form = ExportForm(initial={"type": export_type}, user=request.user)
        filter_form = ExportFilterForm(type=export_type)
        status = 200
    context = {
        "form": form,
        "filter_form": filter_form,
        "page_obj": _jobs_page(request),
        "can_export": request.user.has_perm(EXPORT_PERM),
        "retention_days": settings.EXPORT_RETENTION_DAYS,
    }
    if request.htmx and request.method == "GET" and not request.htmx.history_restore_request:
        template = "dataio/export_list.html#export-jobs"
    else:
        template = "dataio/export_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@permission_required(VIEW_PERM, raise_exception=True)
@require_GET
def export_filters_view(request):
    """The filter fields of the chosen type (swapped in when the type changes)."""
    filter_form = ExportFilterForm(type=_chosen_type(request, request.GET))
    return render(request, "dataio/export_list.html#export-filters", {"filter_form": filter_form})


@permission_required(VIEW_PERM, raise_exception=True)
@require_GET
def export_detail_view(request, export_id: int):
    """The job's page; for htmx its progress fragment (a list row or the status panel),
    answered with 286 once the job is finished so that polling stops."""
    job = get_or_404(export_job_get, user=request.user, pk=export_id)
    context = _job_context(job)
    if not request.htmx:
        return render(request, "dataio/export_detail.html", context)
    if request.htmx.target == f"export-{job.pk}":
        template = "dataio/export_list.html#export-row"
    else:
        template = "dataio/export_detail.html#export-status"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    if context["running"]:
        return response
    return HttpResponseStopPolling(response.content, content_type=response["Content-Type"],
                                   headers={"Vary": response["Vary"]})


@permission_required(VIEW_PERM, raise_exception=True)
@require_GET
def export_download_view(request, export_id: int):
    job = get_or_404(export_job_get, user=request.user, pk=export_id)
    try:
        file = export_file_open(job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("dataio:export_detail", export_id=job.pk)
    return FileResponse(file, as_attachment=True, filename=export_download_name(job=job),
                        content_type=CONTENT_TYPES[job.format])


@permission_required(EXPORT_PERM, raise_exception=True)
@require_GET
def export_template_view(request, import_type: str, fmt: str):
    content, content_type, file_name = get_or_404(export_template, type=import_type, format=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
