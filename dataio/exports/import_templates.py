"""Import templates: the header of an import type and one example row, as CSV or XLSX."""
import tempfile
from typing import Any

from core.exceptions import NotFound
from dataio.columns import IMPORT_COLUMNS, value_parse
from dataio.models import FileFormat, ImportType
from dataio.writers import CONTENT_TYPES, WRITERS

TEMPLATE_FORMATS = (FileFormat.CSV, FileFormat.XLSX)


def export_template(*, type: str, format: str) -> tuple[bytes, str, str]:
    """An import template: the header and one example row. Returns (content, content type,
    file name). NotFound for an unknown type or format."""
    if type not in ImportType.values:
        raise NotFound(f"There is no import template for {type!r}.")
    if format not in TEMPLATE_FORMATS:
        raise NotFound(f"Templates are CSV or XLSX, not {format!r}.")
    columns = IMPORT_COLUMNS[type]
    header = [column.name for column in columns]
    if format == FileFormat.CSV:
        kinds = ["text"] * len(columns)
        example = tuple(column.example for column in columns)
    else:  # numbers stay numbers in a spreadsheet
        kinds = [column.kind if column.kind in ("int", "decimal") and column.example else "text" for column in columns]
        example = tuple(_example_value(column) for column in columns)
    with tempfile.TemporaryFile() as temp:
        options = {"title": ImportType(type).label} if format == FileFormat.XLSX else {}
        WRITERS[format](file=temp, header=header, kinds=kinds, chunks=[[example]], **options)
        temp.seek(0)
        content = temp.read()
    return content, CONTENT_TYPES[format], f"stockroom-{type.replace('_', '-')}-template.{format}"


def _example_value(column) -> Any:
    if column.kind in ("int", "decimal") and column.example:
        return value_parse(column.kind, column.example)
    return column.example
