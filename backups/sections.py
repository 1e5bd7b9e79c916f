"""What a backup holds: the models of each section, in an order that satisfies foreign keys
on restore, and how each row is written as one line of JSON.

A row is one JSON object with every concrete field under its column name, in the model's
field order, with no spaces: `{"id":1,"sku":"TEE-S","price":"12.50",...}`. The encoding is
fixed so that the same data always gives the same bytes, whichever database it was read
from and whichever path read it (the generic ORM path here, or PostgreSQL building the
same text itself, see `row_sql`):

- integers as numbers, booleans as true/false, NULL as null;
- text as a JSON string, escaping only `"`, `\\` and control characters (as PostgreSQL's
  `to_json` does);
- decimals as a string with the field's decimal places ("12.50");
- date-times as a string in UTC with microseconds: "2026-11-29T03:00:00.000000Z";
  dates "2026-11-29", times "03:00:00.000000", UUIDs in their usual text form;
- JSON fields as PostgreSQL's jsonb prints them: keys ordered by length, then bytes,
  ", " and ": " as separators.
"""
import datetime
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models

from backups.models import BackupSection

# Every model a backup can hold, in restore order (a model after the models it refers to;
# receipt lines point at stock movements, so they come last), with the sections that
# include it. A model is written when any of its sections is chosen.
MODEL_SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    # Users and roles: the role groups themselves come from migrations, so a restore
    # normally finds them unchanged; group membership and API tokens travel with the users.
    ("auth.group", (BackupSection.USERS,)),
    ("auth.user", (BackupSection.USERS,)),
    ("auth.user_groups", (BackupSection.USERS,)),
    ("authtoken.token", (BackupSection.USERS,)),
    # Document number counters (PO-…, SO-…): they travel with either kind of order, so a
    # restored database never hands out a number that is already taken.
    ("core.sequence", (BackupSection.PURCHASING, BackupSection.ORDERS)),
    # The audit trail (who changed a stock level's threshold, a supplier, a reorder rule):
    # it travels with the records it describes, as orders keep their timelines.
    ("core.auditentry", (BackupSection.STOCK, BackupSection.PURCHASING)),
    ("inventory.category", (BackupSection.CATALOGUE,)),
    ("inventory.product", (BackupSection.CATALOGUE,)),
    ("inventory.variant", (BackupSection.CATALOGUE,)),
    ("inventory.location", (BackupSection.CATALOGUE,)),
    ("suppliers.supplier", (BackupSection.PURCHASING,)),
    ("suppliers.supplieritem", (BackupSection.PURCHASING,)),
    ("purchasing.purchaseorder", (BackupSection.PURCHASING,)),
    ("purchasing.purchaseorderline", (BackupSection.PURCHASING,)),
    ("purchasing.purchaseorderevent", (BackupSection.PURCHASING,)),
    ("purchasing.receipt", (BackupSection.PURCHASING,)),
    ("purchasing.reorderrule", (BackupSection.PURCHASING,)),
    ("orders.salesorder", (BackupSection.ORDERS,)),
    ("orders.salesorderline", (BackupSection.ORDERS,)),
    ("orders.stripeevent", (BackupSection.ORDERS,)),
    ("orders.orderevent", (BackupSection.ORDERS,)),
    ("orders.orderpayment", (BackupSection.ORDERS,)),
    ("inventory.stocklevel", (BackupSection.STOCK,)),
    ("inventory.reservation", (BackupSection.STOCK,)),
    ("inventory.reservationline", (BackupSection.STOCK,)),
    # Import jobs are part of the ledger's history: movements point at the job that made
    # them, and an import's changes are what its undo reverses.
    ("dataio.importjob", (BackupSection.STOCK,)),
    ("dataio.importrowerror", (BackupSection.STOCK,)),
    ("inventory.stockmovement", (BackupSection.STOCK,)),
    ("dataio.importchange", (BackupSection.STOCK,)),
    ("purchasing.receiptline", (BackupSection.PURCHASING,)),
]

# Models of the project's apps that are deliberately left out, and why.
EXCLUDED_MODELS: dict[str, str] = {
    "auth.permission": "permissions are created by migrations",
    "auth.group_permissions": "each role's permissions are set by migrations",
    "auth.user_user_permissions": "access is given through roles (groups), not per-user permissions",
    "dataio.exportjob": "export files are temporary and cleaned up; the job rows go with them",
    "backups.backup": "a backup never holds or restores the backups' own records",
    "backups.backupschedule": "a backup never holds or restores the backups' own records",
    "backups.restorerun": "a backup never holds or restores the backups' own records",
}

# Apps whose models must each be in a section or in EXCLUDED_MODELS.
PROJECT_APPS = ["auth", "authtoken", "core", "accounts", "inventory", "suppliers", "purchasing", "orders", "dataio",
                "backups", "api"]

SECTION_VALUES = [choice.value for choice in BackupSection]


def section_models(sections: list[str]) -> list[str]:
    """Model labels for the chosen sections, in restore order."""
    chosen = set(sections)
    return [label for label, owners in MODEL_SECTIONS if chosen.intersection(owners)]


def known_models() -> list[str]:
    return [label for label, _ in MODEL_SECTIONS]


def model_for(label: str) -> type[models.Model]:
    app_label, model_name = label.split(".", 1)
    return apps.get_model(app_label, model_name)


# --- row encoding -------------------------------------------------------------------------

INT_TYPES = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
             "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField"}
TEXT_TYPES = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}


def field_kind(field: models.Field) -> str:
    """int, bool, text, decimal, datetime, date, time, uuid or json."""
    if field.is_relation:
        return field_kind(field.target_field)
    internal = field.get_internal_type()
    if internal in INT_TYPES:
        return "int"
    if internal == "BooleanField":
        return "bool"
    if internal in TEXT_TYPES:
        return "text"
    kinds = {"DecimalField": "decimal", "DateTimeField": "datetime", "DateField": "date", "TimeField": "time",
             "UUIDField": "uuid", "JSONField": "json"}
    if internal in kinds:
        return kinds[internal]
    raise ValueError(f"{field.model._meta.label_lower}.{field.name}: backups cannot hold a {internal}")


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _jsonb_key(key: str) -> tuple[int, bytes]:
    data = key.encode()
    return len(data), data


def encode_json_value(value: Any) -> str:
    """A JSON value as PostgreSQL's jsonb prints it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        keys = sorted(value, key=_jsonb_key)
        return "{" + ", ".join(f"{_text(key)}: {encode_json_value(value[key])}" for key in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(encode_json_value(item) for item in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} in a JSON field")


def _utc_text(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
    return '"' + value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") + '"'


def _encoder(kind: str) -> Callable[[Any], str]:
    if kind == "int":
        return lambda v: "null" if v is None else str(int(v))
    if kind == "bool":
        return lambda v: "null" if v is None else ("true" if v else "false")
    if kind == "text":
        return lambda v: "null" if v is None else _text(v)
    if kind == "decimal":
        return lambda v: "null" if v is None else '"' + format(v, "f") + '"'
    if kind == "datetime":
        return lambda v: "null" if v is None else _utc_text(v)
    if kind == "date":
        return lambda v: "null" if v is None else '"' + v.isoformat() + '"'
    if kind == "time":
        return lambda v: "null" if v is None else '"' + v.strftime("%H:%M:%S.%f") + '"'
    if kind == "uuid":
        return lambda v: "null" if v is None else '"' + str(v) + '"'
    if kind == "json":
        return encode_json_value
    raise ValueError(kind)


def _decoder(kind: str) -> Callable[[Any], Any]:
    """From the JSON value of a row back to the Python value Django expects."""
    if kind == "decimal":
        return lambda v: None if v is None else Decimal(v)
    if kind == "datetime":
        return lambda v: None if v is None else datetime.datetime.fromisoformat(v)
    if kind == "date":
        return lambda v: None if v is None else datetime.date.fromisoformat(v)
    if kind == "time":
        return lambda v: None if v is None else datetime.time.fromisoformat(v)
    if kind == "uuid":
        return lambda v: None if v is None else uuid.UUID(v)
    return lambda v: v


@dataclass(frozen=True)
class ForeignKeySpec:
    column: str
    target: str
    nullable: bool
    table: str
    target_column: str


@dataclass(frozen=True)
class ModelSpec:
    label: str
    model: type[models.Model]
    table: str
    pk_column: str
    fields: tuple[models.Field, ...]
    columns: tuple[str, ...]
    kinds: tuple[str, ...]

    @property
    def member(self) -> str:
        return f"{self.label}.ndjson"

    @property
    def serial_pk(self) -> bool:
        return self.model._meta.pk.get_internal_type() in {"AutoField", "BigAutoField", "SmallAutoField"}

    def foreign_keys(self) -> list["ForeignKeySpec"]:
        return [ForeignKeySpec(column=field.column, target=field.related_model._meta.label_lower, nullable=field.null,
                               table=field.related_model._meta.db_table, target_column=field.target_field.column)
                for field in self.fields if field.is_relation]

    def encoders(self) -> list[Callable[[Any], str]]:
        return [_encoder(kind) for kind in self.kinds]

    def decoders(self) -> list[Callable[[Any], Any]]:
        return [_decoder(kind) for kind in self.kinds]

    def encode_row(self, values, encoders=None) -> str:
        encoders = encoders or self.encoders()
        return "{" + ",".join(f"{_text(column)}:{encode(value)}"
                              for column, encode, value in zip(self.columns, encoders, values)) + "}"


def model_spec(label: str) -> ModelSpec:
    model = model_for(label)
    fields = tuple(model._meta.concrete_fields)
    return ModelSpec(
        label=label,
        model=model,
        table=model._meta.db_table,
        pk_column=model._meta.pk.column,
        fields=fields,
        columns=tuple(field.column for field in fields),
        kinds=tuple(field_kind(field) for field in fields),
    )


def row_sql(spec: ModelSpec, quote: Callable[[str], str]) -> str:
    """A PostgreSQL expression that builds the same line as ModelSpec.encode_row."""
    parts = []
    for index, (column, kind) in enumerate(zip(spec.columns, spec.kinds)):
        col = quote(column)
        if kind == "int":
            value = f"{col}::text"
        elif kind == "bool":
            value = f"CASE WHEN {col} THEN 'true' WHEN NOT {col} THEN 'false' END"
        elif kind == "text":
            value = f"to_json({col})::text"
        elif kind in {"decimal", "uuid"}:
            value = f"'\"' || {col}::text || '\"'"
        elif kind == "datetime":
            value = f"'\"' || to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '\"'"
        elif kind == "date":
            value = f"'\"' || to_char({col}, 'YYYY-MM-DD') || '\"'"
        elif kind == "time":
            value = f"'\"' || to_char({col}, 'HH24:MI:SS.US') || '\"'"
        elif kind == "json":
            value = f"{col}::text"
        else:  # pragma: no cover - field_kind refuses anything else
            raise ValueError(kind)
        key = ("{" if index == 0 else ",") + _text(column) + ":"
        parts.append("'" + key.replace("'", "''") + "'")
        parts.append(f"COALESCE({value}, 'null')")
    parts.append("'}'")
    return " || ".join(parts)
