"""JSON API v1: backups and restores (Admins only).

`POST /backups/` records a backup (PENDING) and takes it in the background: poll
`GET /backups/{id}/` until COMPLETED, then fetch `download_url`. `POST
/backups/{id}/verify/` checks the file now and answers the verdict per member. `POST
/backups/{id}/restore/` starts a restore or a dry run (a RestoreRun): poll `GET
/restores/{id}/` for its status and per-model report. A real restore into a database
that already holds data needs `conflict` (skip or overwrite): without it the answer is
409 and nothing is changed.

Every operation needs the Admin role (its backups permissions); anyone else gets 403,
no credentials 401.
"""
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.response import Response

from api.fields import JsonBooleanField, StringField
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.permissions import HasDjangoPermission
from api.serializers import ErrorSerializer
from backups.errors import ConflictPolicyRequired
from backups.models import Backup, BackupKind, BackupSection, BackupStatus, ConflictPolicy, RestoreRun, RestoreStatus
from backups.selectors import backup_get, backup_list, restore_run_get
from backups.services.jobs import (
    backup_delete,
    backup_download_name,
    backup_download_open,
    backup_request,
    restore_request,
    verify_report_as_dict,
)
from backups.validators import backup_sections_clean, restore_conflict_clean

SECTIONS_NOTE = f"Sections: {', '.join(BackupSection.values)} (users is left out unless asked for)."


# --- permissions ----------------------------------------------------------------


@extend_schema_field({"type": "string", "enum": list(BackupSection.values)})
class SectionField(StringField):
    """A section's name; the service refuses any other, naming it."""

class CanManageBackups(HasDjangoPermission):
    """Reads need backups.view_backup, taking a backup add_backup, verifying change_backup,
    deleting delete_backup: all held by the Admin role only."""

    PERMS = {"GET": "backups.view_backup", "HEAD": "backups.view_backup", "OPTIONS": "backups.view_backup",
             "POST": "backups.add_backup", "DELETE": "backups.delete_backup"}
    message = "Only Admins may see or manage backups."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = self.PERMS.get(request.method, "backups.change_backup")
        return user.has_perm("backups.view_backup") and user.has_perm(needed)


class CanVerifyBackups(CanManageBackups):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("backups.view_backup")
                    and user.has_perm("backups.change_backup"))


class CanRestoreBackups(CanManageBackups):
    message = "Only Admins may restore backups."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.has_perm("backups.view_backup")):
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or user.has_perm("backups.restore_backup")


# --- serializers ----------------------------------------------------------------

class BackupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=BackupKind.choices)
    status = serializers.ChoiceField(choices=BackupStatus.choices)
    sections = serializers.ListField(child=StringField())
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Rows per model, e.g. "
                                   "{\"inventory.variant\": 120}.")
    size = serializers.IntegerField(help_text="Bytes of the stored file.")
    checksum = StringField(help_text="SHA-256 of the stored file.")
    encrypted = serializers.BooleanField()
    error = StringField(help_text="Why the backup failed; empty otherwise.")
    created_by = serializers.SerializerMethodField(help_text="Username; null for scheduled and automatic backups.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    verify_ok = serializers.BooleanField(allow_null=True, help_text="The last verify's verdict; null if never.")
    verify_message = StringField()
    drill_ok = serializers.BooleanField(allow_null=True, help_text="The last restore drill's verdict; null if never.")
    drill_message = StringField()
    download_url = serializers.SerializerMethodField(help_text="Set once the backup is completed.")

    @extend_schema_field(StringField(allow_null=True))
    def get_created_by(self, backup: Backup) -> str | None:
        return backup.created_by.get_username() if backup.created_by_id else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, backup: Backup) -> str | None:
        if backup.status != BackupStatus.COMPLETED:
            return None
        url = reverse("api:backup_download", kwargs={"backup_id": backup.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class BackupPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = BackupSerializer(many=True)


class BackupCreateSerializer(serializers.Serializer):
    sections = serializers.ListField(child=SectionField(), required=False, allow_empty=False, help_text=SECTIONS_NOTE,
                                     error_messages={"empty": "Choose at least one section to back up."})

    def validate_sections(self, sections: list[str]) -> list[str]:
        # The backups' own check; its ValidationFailed answers 400 {"sections": [...], "unknown": [...]}.
        return backup_sections_clean(sections=sections)


class MemberVerdictSerializer(serializers.Serializer):
    name = StringField()
    ok = serializers.BooleanField()
    message = StringField()


class VerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = StringField()
    members = MemberVerdictSerializer(many=True)
    backup = BackupSerializer(help_text="The backup with the verdict recorded.")


class RestoreCreateSerializer(serializers.Serializer):
    dry_run = JsonBooleanField(required=False, default=True,
                                       help_text="true (default): report what would change, change nothing.")
    conflict = serializers.ChoiceField(
        choices=ConflictPolicy.choices, required=False, allow_null=True, allow_blank=True,
        help_text="Rows that exist in both: skip (keep the database's) or overwrite. Required for a real "
                  "restore into a database that holds data.",
        error_messages={"invalid_choice": "Unknown conflict policy \"{input}\": choose skip or overwrite."},
    )

    def validate_conflict(self, conflict: str | None) -> str | None:
        return restore_conflict_clean(conflict=conflict)


class RestoreModelReportSerializer(serializers.Serializer):
    create = serializers.IntegerField()
    update = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    conflict = serializers.IntegerField()
    conflicts = serializers.ListField(child=serializers.JSONField(), help_text="The first conflicting keys.")


class RestoreRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    backup = serializers.IntegerField(source="backup_id", allow_null=True)
    file_name = StringField(source="original_name", help_text="The uploaded file's name, if any.")
    dry_run = serializers.BooleanField()
    conflict = StringField(help_text="skip, overwrite, or empty when none was chosen.")
    status = serializers.ChoiceField(choices=RestoreStatus.choices)
    ok = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    models = serializers.SerializerMethodField(help_text="Per model: what was (or would be) created, updated, "
                                                         "left alone, and which rows conflict.")
    ledger_ok = serializers.SerializerMethodField(help_text="The stock ledger check after a real restore.")
    verify = serializers.SerializerMethodField(help_text="The verdict per member when the file was refused.")
    auto_backup = serializers.IntegerField(source="auto_backup_id", allow_null=True,
                                           help_text="The backup taken just before a real restore.")
    error = StringField()
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_ok(self, run: RestoreRun) -> bool | None:
        return (run.report or {}).get("ok")

    def get_message(self, run: RestoreRun) -> str:
        return (run.report or {}).get("message") or run.error or ""

    @extend_schema_field(serializers.DictField(child=RestoreModelReportSerializer()))
    def get_models(self, run: RestoreRun) -> dict:
        return (run.report or {}).get("models") or {}

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_ledger_ok(self, run: RestoreRun) -> bool | None:
        return (run.report or {}).get("ledger_ok")

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_verify(self, run: RestoreRun) -> dict | None:
        return (run.report or {}).get("verify")

    @extend_schema_field(StringField(allow_null=True))
    def get_created_by(self, run: RestoreRun) -> str | None:
        return run.created_by.get_username() if run.created_by_id else None


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown backup.")


def _backup_response(request, backup: Backup, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(BackupSerializer(backup, context={"request": request}).data, status=status_code)


# --- views ------------------------------------------------------------------------

@extend_schema(
    methods=["GET"],
    operation_id="backup_list",
    summary="List backups, newest first",
    tags=["backups"],
    parameters=PAGE_PARAMETERS,
    responses={200: BackupPageSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@extend_schema(
    methods=["POST"],
    operation_id="backup_create",
    summary="Take a backup in the background",
    description="Answers 202 with the PENDING backup; poll it until COMPLETED or FAILED. " + SECTIONS_NOTE
                + " An unknown section is a 400 naming it.",
    tags=["backups"],
    request=BackupCreateSerializer,
    responses={202: BackupSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@api_view(["GET", "POST"])
@permission_classes([CanManageBackups])
@parser_classes(WRITE_PARSERS)
def backup_list_view(request):
    if request.method == "GET":
        return paginated_response(request, backup_list(), BackupSerializer, context={"request": request})
    serializer = BackupCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    backup = backup_request(sections=serializer.validated_data.get("sections"), user=request.user)
    return _backup_response(request, backup, status.HTTP_202_ACCEPTED)


@extend_schema(
    methods=["GET"],
    operation_id="backup_detail",
    summary="One backup: status, sections, counts, verdicts",
    tags=["backups"],
    responses={200: BackupSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["DELETE"],
    operation_id="backup_delete",
    summary="Delete a backup and its file",
    tags=["backups"],
    responses={204: None, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: OpenApiResponse(ErrorSerializer, description="The backup is being taken.")},
)
@api_view(["GET", "DELETE"])
@permission_classes([CanManageBackups])
def backup_detail_view(request, backup_id: int):
    backup = backup_get(pk=backup_id)
    if request.method == "DELETE":
        backup_delete(backup=backup)
        return Response(status=status.HTTP_204_NO_CONTENT)
    return _backup_response(request, backup)


@extend_schema(
    operation_id="backup_download",
    summary="Download a backup's file",
    tags=["backups"],
    responses={
        (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The archive."),
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: OpenApiResponse(ErrorSerializer, description="Unknown backup, or its file is missing."),
        409: OpenApiResponse(ErrorSerializer, description="Not completed (yet), or failed."),
    },
)
@api_view(["GET"])
@permission_classes([CanManageBackups])
def backup_download_view(request, backup_id: int):
    backup = backup_get(pk=backup_id)
    return FileResponse(backup_download_open(backup=backup), as_attachment=True,
                        filename=backup_download_name(backup=backup), content_type="application/octet-stream")


@extend_schema(
    operation_id="backup_verify",
    summary="Verify a backup's file now",
    description="Checks the manifest, each member's checksum and row count, decryption and migration "
                "compatibility; the verdict is recorded on the backup. Answers 200 whatever the verdict "
                "(see `ok`); 409 when the backup has no file.",
    tags=["backups"],
    request=None,
    responses={200: VerifySerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: OpenApiResponse(ErrorSerializer, description="Not completed: there is no file.")},
)
@api_view(["POST"])
@permission_classes([CanVerifyBackups])
@parser_classes(WRITE_PARSERS)
def backup_verify_view(request, backup_id: int):
    from backups.services import backup_verify

    backup = backup_get(pk=backup_id)
    if backup.status != BackupStatus.COMPLETED or not backup.file_name:
        return Response({"detail": f"Backup {backup.pk} is {backup.get_status_display().lower()}: there is no "
                                   f"file to verify."}, status=status.HTTP_409_CONFLICT)
    report = backup_verify(source=backup)
    backup.refresh_from_db()
    body = verify_report_as_dict(report)
    body["backup"] = BackupSerializer(backup, context={"request": request}).data
    return Response(body)


@extend_schema(
    operation_id="backup_restore",
    summary="Restore a backup, or preview the restore (dry run)",
    description="Answers 202 with the restore run; poll /restores/{id}/. The file is verified first; a real "
                "restore takes a backup of the current data, writes everything in one transaction and checks "
                "the ledger, and leaves the database as it was when anything fails. 409 when a real restore "
                "into a database holding data has no `conflict`, or the backup is not completed.",
    tags=["backups"],
    request=RestoreCreateSerializer,
    responses={202: RestoreRunSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: OpenApiResponse(OpenApiTypes.OBJECT, description="`{conflict: [message]}`: choose skip or "
                                                                     "overwrite; or `{detail}`.")},
)
@api_view(["POST"])
@permission_classes([CanRestoreBackups])
@parser_classes(WRITE_PARSERS)
def backup_restore_view(request, backup_id: int):
    backup = backup_get(pk=backup_id)
    serializer = RestoreCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    try:
        run = restore_request(backup=backup, dry_run=data["dry_run"], conflict=data.get("conflict"),
                              user=request.user)
    except ConflictPolicyRequired as exc:
        # Not bad input: the database's state calls for a choice the caller has to make.
        return Response(exc.as_dict(), status=status.HTTP_409_CONFLICT)
    return Response(RestoreRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    operation_id="restore_detail",
    summary="One restore or dry run: status and per-model report",
    tags=["backups"],
    responses={200: RestoreRunSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN,
               404: OpenApiResponse(ErrorSerializer, description="Unknown restore.")},
)
@api_view(["GET"])
@permission_classes([CanRestoreBackups])
def restore_detail_view(request, run_id: int):
    run = restore_run_get(pk=run_id)
    return Response(RestoreRunSerializer(run).data)
