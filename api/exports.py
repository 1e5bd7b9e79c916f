"""JSON API v1: exports and import templates.

`POST /exports/` starts an export job (a Celery task writes the file); poll
`GET /exports/{id}/` until `status` is COMPLETED, then fetch `download_url`. Seeing jobs
needs dataio.view_exportjob, starting one dataio.export_data; types with prices or costs
(products, supplier_items, purchase_orders, sales_orders) also need inventory.view_prices.
A job is seen by the user who started it and by Managers and Admins (dataio.selectors);
anyone else's is a 404.
"""
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.response import Response

from api.fields import StringField
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.permissions import HasDjangoPermission, ReadWritePermission
from api.serializers import ErrorSerializer
from dataio.exports import (
    FILTERS,
    MAX_TEXT_FILTER,
    STOCK_STATUSES,
    export_download_name,
    export_file_open,
    export_job_create,
    export_job_is_expired,
    export_template,
)
from dataio.models import ExportJob, ExportStatus, ExportType, FileFormat
from dataio.selectors_exports import export_job_get, export_job_list, export_job_progress
from dataio.writers import CONTENT_TYPES

EXPORT_TYPES_NOTE = ("Types with prices or costs (products, supplier_items, purchase_orders, sales_orders) need "
                     "the permission to see prices (inventory.view_prices).")


# --- permissions ----------------------------------------------------------------

class CanListOrCreateExports(ReadWritePermission):
    read_perm = "dataio.view_exportjob"
    write_perm = "dataio.export_data"
    read_message = "You do not have permission to view exports."
    write_message = "You do not have permission to export data."


class CanViewExports(HasDjangoPermission):
    required_perm = "dataio.view_exportjob"
    message = "You do not have permission to view exports."


class CanDownloadTemplates(HasDjangoPermission):
    required_perm = "dataio.export_data"
    message = "You do not have permission to download templates."


# --- serializers ----------------------------------------------------------------

class ExportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=ExportType.choices)
    format = serializers.ChoiceField(choices=FileFormat.choices)
    filters = serializers.DictField(help_text="The filters applied, as checked and normalised.")
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    rows_done = serializers.IntegerField(help_text="Rows written so far.")
    rows_total = serializers.IntegerField(help_text="Rows to write (counted when the job starts).")
    row_count = serializers.IntegerField(help_text="Rows in the finished file.")
    progress = serializers.SerializerMethodField(help_text="0-100.")
    file_size = serializers.IntegerField(help_text="Bytes.")
    download_url = serializers.SerializerMethodField(help_text="Set once the file is ready, until it expires.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the file is removed.")
    error = StringField(help_text="Why the export failed; empty otherwise.")

    @extend_schema_field(serializers.IntegerField(min_value=0, max_value=100))
    def get_progress(self, job: ExportJob) -> int:
        return export_job_progress(job=job)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != ExportStatus.COMPLETED or export_job_is_expired(job=job):
            return None
        url = reverse("api:export_download", kwargs={"export_id": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ExportJobPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ExportJobSerializer(many=True)


# The JSON type of each filter's value (the others are text).
FILTER_JSON_TYPES = {"category": int, "supplier": int, "active": bool}


def _export_create_schema() -> dict:
    """The request body per export type: each type's own filters, typed; no other names."""
    from inventory.models import MovementType
    from orders.models import OrderStatus
    from purchasing.models import PurchaseOrderStatus

    def choice(values, *, nullable=False):
        return {"type": "string", "enum": [*values, None] if nullable else list(values)}

    # A blank filter is left out, as if it were not sent.
    date = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": [""]}]}

    kinds = {
        "category": {"type": "integer", "minimum": 1}, "supplier": {"type": "integer", "minimum": 1},
        "active": {"type": "boolean"}, "q": {"type": "string", "maxLength": MAX_TEXT_FILTER},
        "sku": {"type": "string", "maxLength": MAX_TEXT_FILTER}, "location": {"type": "string", "maxLength": 32},
        "type": choice(["", *MovementType.values], nullable=True),
        "date_from": date, "date_to": date,
    }
    statuses = {ExportType.STOCK: STOCK_STATUSES, ExportType.PURCHASE_ORDERS: PurchaseOrderStatus.values,
                ExportType.SALES_ORDERS: OrderStatus.values}
    variants = []
    for export_type, allowed in FILTERS.items():
        properties = {name: {**(choice(["", *statuses[export_type]], nullable=True) if name == "status"
                                else kinds[name]), "nullable": True}
                      for name in allowed}
        variants.append({
            "type": "object",
            "required": ["type", "format"],
            "properties": {
                "type": choice([export_type]),
                "format": choice(FileFormat.values),
                "filters": {"type": "object", "additionalProperties": False, "properties": properties},
            },
        })
    return {"oneOf": variants, "description": "The export type, the file format and that type's filters."}


class ExportCreateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ExportType.choices, help_text=EXPORT_TYPES_NOTE)
    format = serializers.ChoiceField(choices=FileFormat.choices)
    filters = serializers.DictField(
        required=False, default=dict,
        help_text="Per type, as on the list pages: products {category, active, q}; stock {location, category, "
                  "status: in|low|out, q}; categories {}; suppliers {active, q}; supplier_items {supplier}; "
                  "purchase_orders {status, supplier, date_from, date_to (order date)}; sales_orders {status, "
                  "date_from, date_to}; movements {type, location, date_from, date_to, sku}. Dates are "
                  "YYYY-MM-DD; categories and suppliers by id, locations by code.",
    )

    def validate_filters(self, filters: dict) -> dict:
        """Each filter's value of the JSON type the schema names (or null); which names apply
        to the type, and what the values mean, the export service checks."""
        for name, value in filters.items():
            expected = FILTER_JSON_TYPES.get(name, str)
            if value is not None and (isinstance(value, bool) is not (expected is bool) or not isinstance(value, expected)):
                word = {int: "a whole number", bool: "true or false", str: "text"}[expected]
                raise serializers.ValidationError(f"Filter {name}: must be {word}.")
        return filters


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown export (or someone else's: only Managers and "
                                                        "Admins see every user's exports).")


def _job_response(request, job: ExportJob, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(ExportJobSerializer(job, context={"request": request}).data, status=status_code)


# --- views ------------------------------------------------------------------------

@extend_schema(
    methods=["GET"],
    operation_id="export_list",
    summary="List export jobs, newest first",
    tags=["exports"],
    parameters=PAGE_PARAMETERS,
    responses={200: ExportJobPageSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@extend_schema(
    methods=["POST"],
    operation_id="export_create",
    summary="Start an export",
    description="Records the job (PENDING) and writes the file in the background. " + EXPORT_TYPES_NOTE,
    tags=["exports"],
    request={"application/json": _export_create_schema()},
    responses={201: ExportJobSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@api_view(["GET", "POST"])
@permission_classes([CanListOrCreateExports])
@parser_classes(WRITE_PARSERS)
def export_list_view(request):
    if request.method == "POST":
        serializer = ExportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = export_job_create(type=data["type"], format=data["format"], filters=data["filters"], user=request.user)
        return _job_response(request, job, status_code=status.HTTP_201_CREATED)
    return paginated_response(request, export_job_list(user=request.user), ExportJobSerializer,
                              context={"request": request})


@extend_schema(
    operation_id="export_detail",
    summary="One export job: status and progress",
    tags=["exports"],
    responses={200: ExportJobSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@api_view(["GET"])
@permission_classes([CanViewExports])
def export_detail_view(request, export_id: int):
    return _job_response(request, export_job_get(user=request.user, pk=export_id))


@extend_schema(
    operation_id="export_download",
    summary="Download an export's file",
    tags=["exports"],
    responses={
        (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: OpenApiResponse(ErrorSerializer, description="Not completed yet, or failed."),
        410: OpenApiResponse(ErrorSerializer, description="Expired: the file was removed."),
    },
)
@api_view(["GET"])
@permission_classes([CanViewExports])
def export_download_view(request, export_id: int):
    job = export_job_get(user=request.user, pk=export_id)
    return FileResponse(export_file_open(job=job), as_attachment=True, filename=export_download_name(job=job),
                        content_type=CONTENT_TYPES[job.format])


@extend_schema(
    operation_id="export_template",
    summary="Download an import template",
    description="The import's header and one example row, as CSV or XLSX. Types: categories, products, "
                "suppliers, supplier_items, stock_counts.",
    tags=["exports"],
    responses={
        (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The template."),
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: OpenApiResponse(ErrorSerializer, description="Unknown type or format."),
    },
)
@api_view(["GET"])
@permission_classes([CanDownloadTemplates])
def export_template_view(request, import_type: str, fmt: str):
    content, content_type, file_name = export_template(type=import_type, format=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
