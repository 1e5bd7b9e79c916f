"""JSON API v1: imports.

Uploading a file (multipart: file, type, mode, dry_run) creates an import job and checks
it at once: the answer is the job, VALIDATED with a preview and counts or FAILED with
its row errors (row numbers as seen in the spreadsheet, header = row 1). Processing runs
in the background (poll the job); Managers may undo a completed import.

Reads need dataio.view_importjob, uploading and processing dataio.import_data, and on
top of that the permission the type needs (products and categories:
inventory.change_product; suppliers and supplier items: suppliers.change_supplier;
stock counts: inventory.adjust_stock). A job is seen by the user who started it and by
Managers and Admins, and only when of a type the user may import
(dataio.selectors_imports); anyone else's is a 404, for undo too.
"""
from django.conf import settings
from django.http import QueryDict, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from api.fields import FormBooleanField, StringField
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.serializers import ErrorSerializer
from dataio.forms_imports import import_type_permission
from dataio.models import ImportJob, ImportMode, ImportType, OnError
from dataio.selectors_imports import import_job_get, import_job_list, import_job_row_errors

MAX_ERRORS_SHOWN = 1_000


# --- permissions ----------------------------------------------------------------

class CanUseImports(BasePermission):
    """Reads need view_importjob; uploads and processing need import_data."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            self.message = "You do not have permission to view imports."
            return user.has_perm("dataio.view_importjob")
        self.message = "You do not have permission to import data."
        return user.has_perm("dataio.import_data")


class CanSeeImports(BasePermission):
    """Undo is checked once the job is found: someone else's job is a 404 to everyone
    who may not see it, whether or not they may undo."""

    message = "You do not have permission to view imports."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("dataio.view_importjob"))


UNDO_REFUSED = "Only managers may undo an import."


# --- serializers ----------------------------------------------------------------

class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row as seen in the spreadsheet: the header is row 1.")
    column = StringField(allow_blank=True)
    message = StringField()


class ImportCountsSerializer(serializers.Serializer):
    create = serializers.IntegerField(required=False)
    update = serializers.IntegerField(required=False)
    unchanged = serializers.IntegerField(required=False)
    error = serializers.IntegerField(required=False)
    skipped = serializers.IntegerField(required=False)


class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=ImportType.choices)
    mode = serializers.ChoiceField(choices=ImportMode.choices)
    dry_run = serializers.BooleanField()
    status = StringField(
        help_text="PENDING, VALIDATING, VALIDATED, IN_PROGRESS, COMPLETED, PARTIAL, FAILED or UNDONE."
    )
    file_name = StringField(source="original_name", help_text="The uploaded file's name.")
    file_hash = StringField(help_text="SHA-256 of the file.")
    row_count = serializers.IntegerField()
    rows_done = serializers.IntegerField()
    progress = serializers.SerializerMethodField(help_text="Percent of rows processed, 0 to 100.")
    counts = ImportCountsSerializer(help_text="Rows to create, update, left unchanged, with errors, skipped.")
    warnings = serializers.ListField(child=StringField())
    errors = serializers.SerializerMethodField(help_text=f"The first {MAX_ERRORS_SHOWN:,} problems, by row.")
    error_count = serializers.SerializerMethodField()
    preview = serializers.ListField(child=serializers.DictField(), help_text=(
        "The first rows as they will be stored: {row, action, values}; a row with problems also has `invalid`, "
        "the columns whose value is shown as typed because it is not valid."))
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = StringField(allow_blank=True, help_text="Why the job failed as a whole.")

    def get_progress(self, job: ImportJob) -> int:
        if not job.row_count:
            return 100 if job.finished_at else 0
        return min(100, job.rows_done * 100 // job.row_count)

    @staticmethod
    def _error_rows(job: ImportJob):
        return import_job_row_errors(job=job).filter(level="error")

    @extend_schema_field(ImportRowErrorSerializer(many=True))
    def get_errors(self, job: ImportJob) -> list[dict]:
        return ImportRowErrorSerializer(self._error_rows(job)[:MAX_ERRORS_SHOWN], many=True).data

    def get_error_count(self, job: ImportJob) -> int:
        return self._error_rows(job).count()


class ImportJobPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ImportJobSerializer(many=True)


@extend_schema_field({"type": "string", "format": "binary", "minLength": 1})
class UploadField(serializers.FileField):
    """The uploaded file's part; an empty one is refused."""


class ImportCreateSerializer(serializers.Serializer):
    file = UploadField(help_text=f"CSV, XLSX or JSON; at most {settings.IMPORT_MAX_MB} MB.")
    type = serializers.ChoiceField(choices=ImportType.choices)
    mode = serializers.ChoiceField(choices=ImportMode.choices, required=False, default=ImportMode.UPSERT)
    dry_run = FormBooleanField(required=False, default=False,
                               help_text="Check and report only; the job cannot be processed.")

    def validate_file(self, upload):
        if upload.size > settings.IMPORT_MAX_MB * 1024 * 1024:
            raise serializers.ValidationError(f"The file is larger than {settings.IMPORT_MAX_MB} MB.")
        return upload


class ImportProcessSerializer(serializers.Serializer):
    on_error = serializers.ChoiceField(choices=OnError.choices,
                                       help_text="rollback: all rows or none; skip: apply the good rows.")


class ImportUndoResultSerializer(serializers.Serializer):
    undone = serializers.IntegerField(help_text="Changes reversed.")
    left_alone = serializers.ListField(child=StringField(),
                                       help_text="Records changed since the import, left as they are.")


# --- helpers ------------------------------------------------------------------------

def _check_type(request, type: str) -> None:
    if not request.user.has_perm(import_type_permission(type)):
        raise PermissionDenied(f"Your role may not import {ImportType(type).label.lower()}.")


def _job_response(job: ImportJob, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(ImportJobSerializer(job).data, status=status_code)


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown import (or someone else's: only Managers and "
                                                        "Admins see every user's imports).")
CONFLICT = OpenApiResponse(ErrorSerializer, description="The job is not in a state that allows this.")


# --- views --------------------------------------------------------------------------

@extend_schema(
    methods=["GET"],
    operation_id="import_list",
    summary="List import jobs, newest first",
    tags=["imports"],
    parameters=PAGE_PARAMETERS,
    responses={200: ImportJobPageSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@extend_schema(
    methods=["POST"],
    operation_id="import_create",
    summary="Upload a file: the job is created and checked at once",
    description=(
        "Answers 201 with the job: VALIDATED (with preview and counts) or FAILED (with row errors). "
        "A missing, empty or oversized file, a bad type or mode, or a file that cannot be read at all is a 400 "
        "naming the field. A body whose Content-Length is over IMPORT_MAX_MB is refused with 413 before it is "
        "read, and a body without one (chunked) is read no further than that (411 where the server cannot end "
        "such a body)."
    ),
    tags=["imports"],
    request={"multipart/form-data": ImportCreateSerializer},
    responses={201: ImportJobSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN,
               411: OpenApiResponse(ErrorSerializer, description="Chunked, and the server cannot end such a body: "
                                                                "send a Content-Length."),
               413: OpenApiResponse(ErrorSerializer, description="Larger than IMPORT_MAX_MB; nothing was stored.")},
)
@api_view(["GET", "POST"])
@permission_classes([CanUseImports])
@parser_classes([MultiPartParser, FormParser])
def import_list_view(request):
    if request.method == "GET":
        return paginated_response(request, import_job_list(user=request.user), ImportJobSerializer)

    from dataio.services.imports import import_job_create, import_job_validate

    # As plain values (not a form's): an empty dry_run or mode is refused, not taken as left out.
    data = request.data.dict() if isinstance(request.data, QueryDict) else request.data
    serializer = ImportCreateSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    _check_type(request, data["type"])
    upload = data["file"]
    job = import_job_create(data=upload.read(), file_name=upload.name or "upload", type=data["type"],
                            mode=data["mode"], dry_run=data["dry_run"], user=request.user)
    job = import_job_validate(job=job)
    return _job_response(job, status.HTTP_201_CREATED)


@extend_schema(
    operation_id="import_detail",
    summary="One import job: status, progress, counts, errors and preview",
    tags=["imports"],
    responses={200: ImportJobSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@api_view(["GET"])
@permission_classes([CanUseImports])
def import_detail_view(request, import_id: int):
    return _job_response(import_job_get(user=request.user, pk=import_id))


@extend_schema(
    operation_id="import_process",
    summary="Process a validated import in the background",
    description="Answers 202 with the job; poll it until COMPLETED, PARTIAL or FAILED. "
                "409 unless the job is VALIDATED and not a dry run.",
    tags=["imports"],
    request=ImportProcessSerializer,
    responses={202: ImportJobSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: CONFLICT},
)
@api_view(["POST"])
@permission_classes([CanUseImports])
@parser_classes(WRITE_PARSERS)
def import_process_view(request, import_id: int):
    from dataio.services.imports import import_job_process

    job = import_job_get(user=request.user, pk=import_id)
    _check_type(request, job.type)
    serializer = ImportProcessSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    job = import_job_process(job=job, on_error=serializer.validated_data["on_error"], user=request.user)
    job.refresh_from_db()
    return _job_response(job, status.HTTP_202_ACCEPTED)


@extend_schema(
    operation_id="import_undo",
    summary="Undo a completed import (Managers)",
    description="Created records are removed when nothing refers to them, changed fields get their previous "
                "values back and stock gets compensating movements; anything changed since is listed and left alone.",
    tags=["imports"],
    request=None,
    responses={200: ImportUndoResultSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: CONFLICT},
)
@api_view(["POST"])
@permission_classes([CanSeeImports])
@parser_classes(WRITE_PARSERS)
def import_undo_view(request, import_id: int):
    from dataio.services.imports import import_job_undo

    job = import_job_get(user=request.user, pk=import_id)
    if not request.user.has_perm("dataio.undo_import"):
        raise PermissionDenied(UNDO_REFUSED)
    result = import_job_undo(job=job, user=request.user)
    return Response({"undone": result.undone, "left_alone": list(result.left_alone)})


@extend_schema(
    operation_id="import_errors",
    summary="The job's problems as a CSV file (row, column, message)",
    tags=["imports"],
    responses={(200, "text/csv"): OpenApiTypes.STR, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@api_view(["GET"])
@permission_classes([CanUseImports])
def import_errors_view(request, import_id: int):
    from dataio.services.imports import import_errors_csv

    job = import_job_get(user=request.user, pk=import_id)
    response = StreamingHttpResponse(import_errors_csv(job=job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
