"""Streaming writers for export files: CSV, JSON (one array) and XLSX.

Each writer takes a header, the kind of each column and the rows in chunks (lists of
tuples - `chunks_of` cuts any row iterable into chunks - or a `ColumnChunk`) and writes them to a binary file
chunk by chunk, so memory stays flat however many rows there are. Values are plain
Python values:

- "text": str or None. In CSV a cell starting with = + - @ tab or CR is neutralised
  (prefixed with ' and quoted); in XLSX every text cell is a string cell, never a
  formula, its value unchanged.
- "int", "decimal": int / Decimal or None. They stay numbers in CSV and XLSX (a negative
  number is not text and is never prefixed); JSON writes decimals as strings ("12.50")
  so no precision is lost to floating point.
- "bool": "true"/"false" in CSV and XLSX (as `dataio.columns.value_format` writes them),
  true/false in JSON.
- "datetime", "date": ISO 8601 text in every format.
- "json": compact JSON text in CSV and XLSX, the value itself in JSON.

CSV files are UTF-8 with a byte order mark (spreadsheets then show accents right) and
CRLF line ends.
"""
import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.csv import FORMULA_START_BYTES, FORMULA_STARTS, cell_needs_neutralising, cell_neutralise

CHUNK_SIZE = 5000
KINDS = ("text", "int", "decimal", "bool", "datetime", "date", "json")
XLSX_MAX_CELL = 32_767  # Excel holds no longer text in a cell
BOM = "\ufeff".encode()

Progress = Callable[[int], None]
Chunks = Iterable[Sequence[Sequence[Any]]]

_first_char = itemgetter(slice(0, 1))
_BOOL_TEXT = {True: "true", False: "false"}


def chunks_of(rows: Iterable, size: int = CHUNK_SIZE) -> Iterator[list]:
    """Cut a row iterable into lists of at most `size` rows."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _kinds_check(header: Sequence[str], kinds: Sequence[str]) -> None:
    if len(header) != len(kinds):
        raise ValueError("header and kinds differ in length")
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown column kinds {sorted(unknown)}")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


_json_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default).encode


def _time_text(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _json_text(value: Any) -> str | None:
    return None if value is None else _json_compact(value)


def _text_converters(kinds: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(index, function) for the columns CSV and XLSX write as text made from another value."""
    converters = []
    for index, kind in enumerate(kinds):
        if kind == "bool":
            converters.append((index, _BOOL_TEXT.get))
        elif kind in ("datetime", "date"):
            converters.append((index, _time_text))
        elif kind == "json":
            converters.append((index, _json_text))
    return converters


class ColumnChunk(list):
    """A chunk given column by column (a list of equally long columns) rather than row by
    row: a source that already works on columns saves the writer turning rows into columns."""

    @property
    def row_count(self) -> int:
        return len(self[0]) if self else 0


def _chunk_size(chunk) -> int:
    return chunk.row_count if isinstance(chunk, ColumnChunk) else len(chunk)


def _chunk_rows(chunk) -> Iterable[Sequence]:
    return zip(*chunk) if isinstance(chunk, ColumnChunk) else chunk


def _columns_converted(chunk, converters) -> list[list]:
    """The chunk as columns, with the converters applied (column by column: map runs in C)."""
    columns = list(chunk) if isinstance(chunk, ColumnChunk) else list(zip(*chunk))
    for index, convert in converters:
        columns[index] = list(map(convert, columns[index]))
    return columns


# --- CSV ----------------------------------------------------------------------

_CSV_QUOTE = re.compile(r'[,"\r\n]')


def _csv_quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _csv_text_column(column: list) -> list:
    """A text column's cells as CSV fields: neutralised and quoted where needed.

    The usual column needs neither: one regex over the column joined, one set of first
    characters, both in C, tell so; only a column that has such a cell is gone through
    cell by cell.
    """
    if None in column:
        column = ["" if value is None else value for value in column]
    neutralise = not FORMULA_STARTS.isdisjoint(set(map(_first_char, column)))
    if neutralise:
        return [
            _csv_quote(cell_neutralise(value)) if cell_needs_neutralising(value)
            else _csv_quote(value) if _CSV_QUOTE.search(value) else value
            for value in column
        ]
    if _CSV_QUOTE.search("".join(column)):
        return [_csv_quote(value) if _CSV_QUOTE.search(value) else value for value in column]
    return column


_QUOTE_BYTES = (b",", b'"', b"\r", b"\n")


def csv_field_bytes(value: bytes) -> bytes:
    """One text cell, UTF-8 encoded, as a CSV field: the rule of `_csv_text_column`
    (neutralised and quoted, or quoted, or as it is). The characters it looks for are
    ASCII, which never occur inside a multi-byte UTF-8 character."""
    if value[:1] in FORMULA_START_BYTES:
        return b"\"'" + value.replace(b'"', b'""') + b'"'
    if any(char in value for char in _QUOTE_BYTES):
        return b'"' + value.replace(b'"', b'""') + b'"'
    return value


def _csv_other_column(column: list, kind: str) -> list:
    """Numbers and the text made from bools, dates and JSON: their text, blank for None.
    Only JSON text can hold a comma or a quote and need quoting."""
    if None in column:
        column = ["" if value is None else str(value) for value in column]
    else:
        column = list(map(str, column))
    if kind == "json" and _CSV_QUOTE.search("".join(column)):
        return [_csv_quote(value) if _CSV_QUOTE.search(value) else value for value in column]
    return column


def csv_head(header: Sequence[str]) -> bytes:
    """The start of a CSV file: the byte order mark and the header line."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(header)
    return BOM + buffer.getvalue().encode()


def csv_lines_write(*, file: BinaryIO, header: Sequence[str], blocks: Iterable[tuple[int, bytes]],
                    progress: Progress | None = None) -> int:
    """Write a CSV file whose lines come ready made: `blocks` gives (number of rows, their
    lines as UTF-8 bytes, each ending in CRLF). Returns how many rows were written."""
    file.write(csv_head(header))
    written = 0
    for size, lines in blocks:
        if not size:
            continue
        file.write(lines)
        written += size
        if progress is not None:
            progress(written)
    return written


def csv_write(*, file: BinaryIO, header: Sequence[str], kinds: Sequence[str], chunks: Chunks,
              progress: Progress | None = None) -> int:
    """Write the rows as CSV (quoting as csv.QUOTE_MINIMAL does); returns how many were written.

    Each chunk is turned into fields column by column, mostly in C (see
    `_csv_text_column`), then joined into lines: several times faster than csv.writer
    called on every row.
    """
    _kinds_check(header, kinds)
    converters = _text_converters(kinds)
    text_columns = frozenset(index for index, kind in enumerate(kinds) if kind == "text")
    file.write(csv_head(header))
    written = 0
    for chunk in chunks:
        size = _chunk_size(chunk)
        if not size:
            continue
        columns = _columns_converted(chunk, converters)
        fields = [
            _csv_text_column(column) if index in text_columns else _csv_other_column(column, kinds[index])
            for index, column in enumerate(columns)
        ]
        if len(fields) == 1:  # a lone empty field must be quoted, or the line reads as no field at all
            fields[0] = [value or '""' for value in fields[0]]
        file.write(("\r\n".join(map(",".join, zip(*fields))) + "\r\n").encode())
        written += size
        if progress is not None:
            progress(written)
    return written


# --- JSON ---------------------------------------------------------------------

def json_write(*, file: BinaryIO, header: Sequence[str], kinds: Sequence[str], chunks: Chunks,
               progress: Progress | None = None) -> int:
    """Write the rows as one JSON array of objects keyed by the header, streamed."""
    _kinds_check(header, kinds)
    keys = list(header)
    written = 0
    file.write(b"[")
    for chunk in chunks:
        size = _chunk_size(chunk)
        if not size:
            continue
        lines = ",\n".join([_json_compact(dict(zip(keys, row))) for row in _chunk_rows(chunk)])
        file.write((("\n" if not written else ",\n") + lines).encode())
        written += size
        if progress is not None:
            progress(written)
    file.write(b"\n]\n" if written else b"]\n")
    return written


# --- XLSX ---------------------------------------------------------------------
#
# openpyxl builds the workbook: its package parts, styles, the sheet with its frozen,
# bold header row. Its write-only sheet still spends tens of microseconds of Python on
# every cell (about 9,000 rows/s of 11 columns here), so the data rows are streamed into
# that sheet's <sheetData> by `_xlsx_rows` below: numbers as number cells, everything else
# as inline string cells (t="inlineStr") - the cell type openpyxl writes for text - so no
# value is ever a formula.

_XML_SLOW = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|^\s|\s$")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SHEET_PART = "xl/worksheets/sheet1.xml"


def _xml_text(value: str) -> str:
    """Escaped text for a <t> element; control characters XML cannot hold are dropped."""
    value = _XML_ILLEGAL.sub("", value)[:XLSX_MAX_CELL]
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _xlsx_rows(columns: list[list], letters: list[str], first_row: int) -> str:
    parts = []
    append = parts.append
    for number, row in enumerate(zip(*columns), first_row):
        suffix = str(number)
        append(f'<row r="{suffix}">')
        for letter, value in zip(letters, row):
            if value is None or value == "":
                continue
            if value.__class__ is str:
                if _XML_SLOW.search(value):
                    append(f'<c r="{letter}{suffix}" t="inlineStr"><is><t xml:space="preserve">'
                           f'{_xml_text(value)}</t></is></c>')
                else:
                    append(f'<c r="{letter}{suffix}" t="inlineStr"><is><t>{value}</t></is></c>')
            elif isinstance(value, Decimal):
                append(f'<c r="{letter}{suffix}"><v>{value:f}</v></c>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                append(f'<c r="{letter}{suffix}"><v>{value!r}</v></c>')
            else:  # anything else is written as its text
                append(f'<c r="{letter}{suffix}" t="inlineStr"><is><t xml:space="preserve">'
                       f'{_xml_text(str(value))}</t></is></c>')
        append("</row>")
    return "".join(parts)


def _xlsx_skeleton(header: Sequence[str], title: str) -> bytes:
    """The workbook as openpyxl writes it, with the header row and no data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.data_type = "s"  # a header is text even when it starts with "="
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    return re.sub(r"[\\/*?:\[\]]", " ", title)[:31].strip() or "Export"


def xlsx_write(*, file: BinaryIO, header: Sequence[str], kinds: Sequence[str], chunks: Chunks,
               progress: Progress | None = None, title: str = "Export") -> int:
    """Write one sheet: the header (bold, frozen) and the rows, streamed into the zip."""
    _kinds_check(header, kinds)
    converters = _text_converters(kinds)
    letters = [get_column_letter(index) for index in range(1, len(header) + 1)]
    written = 0
    with zipfile.ZipFile(io.BytesIO(_xlsx_skeleton(header, title))) as skeleton, \
            zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        names = sorted(skeleton.namelist(), key=lambda name: name != "[Content_Types].xml")
        for name in names:
            if name != SHEET_PART:
                package.writestr(name, skeleton.read(name), compress_type=zipfile.ZIP_DEFLATED)
        sheet = skeleton.read(SHEET_PART).decode()
        head, tail = sheet.split("</sheetData>", 1)
        with package.open(SHEET_PART, "w", force_zip64=True) as stream:
            stream.write(head.encode())
            for chunk in chunks:
                size = _chunk_size(chunk)
                if not size:
                    continue
                columns = _columns_converted(chunk, converters)
                stream.write(_xlsx_rows(columns, letters, written + 2).encode())
                written += size
                if progress is not None:
                    progress(written)
            stream.write(("</sheetData>" + tail).encode())
    return written


WRITERS: dict[str, Callable[..., int]] = {"csv": csv_write, "json": json_write, "xlsx": xlsx_write}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
