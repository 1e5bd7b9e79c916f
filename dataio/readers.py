"""Reading an uploaded import file (CSV, XLSX or JSON) into a header and rows of strings.

`table_read` looks at the bytes first and the file name second: a ZIP archive is read as
an Excel workbook, text starting with "[" or "{" as JSON, any other text as CSV.
Everything that makes a file unreadable is refused with `FileRefused`, whose message
names the row (as the user sees it in a spreadsheet: the header is row 1) and the column
where it can:

- empty files, files with only a header ("no data rows"), binary data, text that is
  neither UTF-8, UTF-16 (with a BOM) nor Windows-1252;
- rows with more values than the header (extra values that are all blank are dropped), cells longer than MAX_CELL_CHARS, more rows than
  `max_rows`, a header that looks split on the wrong delimiter, blank or repeated
  column names;
- XLSX archives with too many members, too large a declared size or too high a
  compression ratio (checked before openpyxl opens them), and XML with a DTD or
  entities (defusedxml, which openpyxl uses when it is installed);
- JSON that is not a list of objects with plain values, or that uses NaN/Infinity;
- a cell or column name holding a character that cannot be stored (BAD_CHARACTERS: NUL,
  other control characters than tab and line breaks, a lone surrogate such as JSON's
  "\\ud800"), named by row and column like any other bad cell.

The header row is checked when `table_read` returns, and so is the first data row (so a
file with a header only is refused at once). Later rows are read lazily: iterating
`Table.rows` may raise `FileRefused` too, and callers must treat that like a refusal
from `table_read`. Completely blank rows are skipped but still counted, so row numbers
stay those of the spreadsheet.

CSV text cells that an export neutralised ("'=SUM(A1)", "'+44 20 7946 0000": an
apostrophe before = + - @ tab or CR) are read back without the apostrophe, so an exported
file imports unchanged. Any other apostrophe is kept.
"""
import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.conf import settings

from core.csv import cell_restore
from core.exceptions import ValidationFailed
from dataio.columns import value_format

MAX_CELL_CHARS = 10_000
MAX_COLUMNS = 200
# Values this many columns to the right of the header are still looked at (and refused
# as a ragged row); anything further right in a workbook is not read at all.
XLSX_EXTRA_COLUMNS = 50
# Blank rows tolerated in a workbook before it is refused (rows can be numbered with
# gaps; openpyxl fills them in one by one).
XLSX_MAX_BLANK_ROWS = 100_000
XLSX_MAX_ROW_NUMBER = 1_048_576
ZIP_MAX_MEMBERS = 1_000
ZIP_MAX_TOTAL_BYTES = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100

DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
# Windows-1252 leaves these bytes undefined.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What no cell may hold: PostgreSQL refuses NUL in text and cannot encode a lone surrogate,
# and XML (so XLSX) cannot hold the other control characters. Tab, LF and CR are text.
BAD_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_first_char = itemgetter(slice(0, 1))


class FileRefused(ValidationFailed):
    """The file cannot be read. `details` carries "row" and "column" when known."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        details: dict[str, Any] = {}
        if row is not None:
            details["row"] = row
        if column is not None:
            details["column"] = column
        super().__init__(message, details=details, field="file")
        self.row = row
        self.column = column


@dataclass
class Table:
    header: list[str]
    # (row number as the user sees it, values stripped and padded to the header's length)
    rows: Iterator[tuple[int, list[str]]]
    format: str
    # How the text was decoded ("utf-8", "utf-8-sig", "utf-16", "cp1252") and the CSV
    # delimiter; empty where they do not apply.
    encoding: str = ""
    delimiter: str = ""


def table_read(*, data: bytes, file_name: str, max_rows: int | None = None) -> Table:
    """Read an uploaded file. Raises FileRefused saying what is wrong with it."""
    max_bytes = settings.IMPORT_MAX_MB * 1024 * 1024
    if len(data) > max_bytes:
        raise FileRefused(f"The file is larger than {settings.IMPORT_MAX_MB} MB.")
    if not data.strip(b" \t\r\n\x00") or data in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise FileRefused("The file is empty.")
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""

    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        table = _xlsx_read(data, max_rows=max_rows)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV and upload that.")
    else:
        text, encoding = _text_decode(data)
        stripped = text.lstrip("\ufeff \t\r\n")
        if extension == "json" or (stripped[:1] in ("[", "{") and extension not in ("csv", "tsv", "txt")):
            table = _json_read(stripped, max_rows=max_rows)
        elif stripped[:1] in ("[", "{") and _json_like(stripped):
            table = _json_read(stripped, max_rows=max_rows)
        else:
            table = _csv_read(text, max_rows=max_rows)
        table.encoding = encoding
    table.rows = _first_row_check(table.rows)
    return table


def _first_row_check(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """Read the first data row now so that header-only files are refused at once."""
    try:
        first = next(rows)
    except StopIteration:
        raise FileRefused("The file has a header but no data rows.", row=2) from None

    def chained() -> Iterator[tuple[int, list[str]]]:
        yield first
        yield from rows

    return chained()


# --- text -----------------------------------------------------------------

def _text_decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return _decode_or_refuse(data, "utf-32"), "utf-32"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _decode_or_refuse(data, "utf-16"), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return _decode_or_refuse(data[len(codecs.BOM_UTF8):], "utf-8"), "utf-8-sig"
    nul = data.find(b"\x00")
    if nul >= 0 and _mostly_binary(data.count(b"\x00"), len(data)):
        raise FileRefused(
            "The file contains binary data, not text: it is not a CSV or JSON file. "
            "(A UTF-16 text file needs a byte order mark; save it as UTF-8 instead.)",
            row=_line_of(data, nul),
        )
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        undefined = _CP1252_UNDEFINED.search(data)
        if undefined:
            raise FileRefused(
                f"The file is not UTF-8 or Windows-1252 text: row {_line_of(data, undefined.start())} "
                f"contains the byte 0x{data[undefined.start()]:02X}. Save the file as CSV UTF-8 and try again.",
                row=_line_of(data, undefined.start()),
            ) from None
        text, encoding = data.decode("cp1252"), "cp1252"
    sample = text[:4096]
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
        raise FileRefused("The file contains binary data, not text: it is not a CSV or JSON file.")
    return text, encoding


def _decode_or_refuse(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"The file starts like {encoding.upper()} text but is not valid {encoding.upper()} "
            f"(around byte {exc.start}). Save it as CSV UTF-8 and try again.",
        ) from None
    if "\x00" in text and _mostly_binary(text.count("\x00"), len(text)):
        raise FileRefused("The file contains binary data, not text: it is not a CSV or JSON file.")
    return text.lstrip("\ufeff")


def _mostly_binary(nuls: int, size: int) -> bool:
    """Whether so many NULs make the file binary; a stray one or two in a text file are
    refused later as a bad cell, naming its row and column."""
    return nuls > max(2, size // 1000)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# --- CSV ------------------------------------------------------------------

def header_normalise(names: list[str]) -> list[str]:
    """Names stripped, lower-cased, BOM removed, inner spaces turned into underscores."""
    return [re.sub(r"\s+", "_", name.replace("\ufeff", "").strip().lower()) for name in names]


def _delimiter_sniff(text: str) -> str:
    """The most frequent of , ; and tab in the header line, quotes respected."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in ("\n", "\r"):
            break
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_read(text: str, *, max_rows: int | None) -> Table:
    text = text.lstrip("\ufeff")
    delimiter = _delimiter_sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=True)
    records = _csv_records(reader)

    header: list[str] | None = None
    for row_number, values in records:
        if any(value.strip() for value in values):
            header = _header_check(values, row_number, delimiter=delimiter)
            break
    if header is None:
        raise FileRefused("The file is empty.")
    # Exports write a text cell starting with = + - @ tab or CR as "'=..." (cell_neutralise);
    # reading such a file back gives the text as it was. A file without any apostrophe
    # (one scan of the text) skips the per-row check.
    rows = _rows(records, header, max_rows=max_rows, texts=True, clean=BAD_CHARACTERS.search(text) is None)
    if "'" in text:
        rows = _cells_restore(rows)
    return Table(header=header, rows=rows, format="csv", delimiter=delimiter)


def _cells_restore(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """Undo the export's formula neutralisation: "'=1+2" → "=1+2", "'+44 20" → "+44 20".
    Only an apostrophe followed by one of = + - @ tab CR is removed; "'quoted'" stays."""
    for row_number, values in rows:
        if "'" in map(_first_char, values):
            values = [cell_restore(value) for value in values]
        yield row_number, values


def _csv_records(reader) -> Iterator[tuple[int, list[str]]]:
    row_number = 0
    try:
        for values in reader:
            row_number += 1
            yield row_number, values
    except csv.Error as exc:
        row = row_number + 1
        if "field larger than field limit" in str(exc):
            raise FileRefused(f"Row {row}: a cell is longer than {MAX_CELL_CHARS:,} characters.", row=row) from None
        raise FileRefused(f"Row {row} cannot be read ({exc}): check the quotes in this row.", row=row) from None


def _header_check(values: list[str], row_number: int, *, delimiter: str) -> list[str]:
    raw = [value.strip() for value in values]
    while raw and not raw[-1]:
        raw.pop()
    if len(raw) > MAX_COLUMNS:
        raise FileRefused(f"The header has {len(raw)} columns; at most {MAX_COLUMNS} are allowed.", row=row_number)
    for index, name in enumerate(raw):
        what = character_problem(name)
        if what is not None:
            raise FileRefused(f"Column {column_letter(index)} of the header contains {what}, which cannot be "
                              f"stored. Remove it and upload the file again.",
                              row=row_number, column=column_letter(index))
    if len(raw) == 1:
        for other in (";", "\t", "|", ","):
            if other != delimiter and other in raw[0]:
                raise FileRefused(
                    f'The header is one column "{_short(raw[0])}": the file seems to be separated by '
                    f"{_DELIMITER_NAMES[other]}s. Save it as CSV with commas, semicolons or tabs between "
                    f"the columns and no quotes around the whole line.",
                    row=row_number, column=_short(raw[0]),
                )
    header = header_normalise(raw)
    seen: set[str] = set()
    for index, name in enumerate(header):
        if len(name) > 100:
            raise FileRefused(f"Column {column_letter(index)} of the header is longer than 100 characters.",
                              row=row_number, column=column_letter(index))
        if not name:
            raise FileRefused(f"Column {column_letter(index)} of the header has no name.",
                              row=row_number, column=column_letter(index))
        if name in seen:
            raise FileRefused(f'The column "{name}" appears twice in the header.', row=row_number, column=name)
        seen.add(name)
    return header


def _rows(records: Iterator[tuple[int, list[Any]]], header: list[str], *, max_rows: int | None,
          texts: bool = False, clean: bool = False) -> Iterator[tuple[int, list[str]]]:
    """Check and pad the data rows. `texts` says the values are already strings (CSV),
    `clean` that the caller found no BAD_CHARACTERS in any of them."""
    width = len(header)
    count = 0
    limit = max_rows if max_rows is not None else -1
    for row_number, raw in records:
        values = list(map(str.strip, raw)) if texts else list(map(_cell_text, raw))
        if not any(values):
            continue
        count += 1
        if count == limit + 1:
            raise FileRefused(f"The file has more than {max_rows:,} data rows; split it into smaller files.",
                              row=row_number)
        if len(values) > width:
            if any(values[width:]):
                last = max(i for i, value in enumerate(values) if value)
                raise FileRefused(
                    f"Row {row_number} has {last + 1} values but the header has {width} columns "
                    f"(a value in column {column_letter(last)}): check the separators and quotes in this row.",
                    row=row_number, column=column_letter(last),
                )
            del values[width:]
        if max(map(len, values)) > MAX_CELL_CHARS:
            index = next(i for i, value in enumerate(values) if len(value) > MAX_CELL_CHARS)
            raise FileRefused(
                f'Row {row_number}, column "{header[index]}": the cell is longer than {MAX_CELL_CHARS:,} characters.',
                row=row_number, column=header[index],
            )
        if not clean:
            _cells_check(values, header, row_number)
        if len(values) < width:
            values.extend([""] * (width - len(values)))
        yield row_number, values


def _cells_check(values: list[str], header: list[str], row_number: int) -> None:
    """Refuse a row with a cell holding BAD_CHARACTERS, naming the row and the column."""
    if BAD_CHARACTERS.search("\n".join(values)) is None:
        return
    index = next(i for i, value in enumerate(values) if BAD_CHARACTERS.search(value))
    raise FileRefused(
        f'Row {row_number}, column "{header[index]}": the cell contains {character_problem(values[index])}, '
        f"which cannot be stored. Remove it and upload the file again.",
        row=row_number, column=header[index],
    )


def character_problem(text: str) -> str | None:
    """What is wrong with `text` ("a NUL character (U+0000)"), or None when it can be stored."""
    match = BAD_CHARACTERS.search(text)
    if match is None:
        return None
    char = match.group()
    code = f"U+{ord(char):04X}"
    if char == "\x00":
        return f"a NUL character ({code})"
    if "\ud800" <= char <= "\udfff":
        return f"an unpaired surrogate ({code}: half of a character)"
    return f"a control character ({code})"


def printable(text: str) -> str:
    """`text` with each of BAD_CHARACTERS written as an escape ("\\u0000"), to name it safely."""
    return BAD_CHARACTERS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _cell_text(value: Any) -> str:
    """A cell as text: strings stripped, whole numbers without ".0", other numbers in plain
    decimal notation, booleans true/false, dates in ISO format."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return value_format("decimal", Decimal(repr(value)))
    if isinstance(value, Decimal):
        return value_format("decimal", value) if value.is_finite() else ""
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA": the column as a spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- JSON -----------------------------------------------------------------

def _json_like(text: str) -> bool:
    try:
        _json_load(text)
    except FileRefused:
        return False
    return True


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _json_load(text: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_json_constant)
    except RecursionError:
        raise FileRefused("The JSON file is nested too deeply.") from None
    except ValueError as exc:
        message = str(exc)
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise FileRefused(f"The file is not valid JSON{where}: {message}") from None


def _json_read(text: str, *, max_rows: int | None) -> Table:
    document = _json_load(text)
    if not isinstance(document, list):
        raise FileRefused("A JSON import file must be a list of objects, one per row: [{\"sku\": ...}, ...].")
    if max_rows is not None and len(document) > max_rows:
        raise FileRefused(f"The file has more than {max_rows:,} data rows; split it into smaller files.",
                          row=max_rows + 2)

    header: list[str] = []
    known: set[str] = set()
    normalised_rows: list[tuple[int, dict[str, str]]] = []
    for position, item in enumerate(document, start=1):
        row_number = position + 1
        if not isinstance(item, dict):
            raise FileRefused(f"Row {row_number}: each item of the list must be an object with the columns as keys.",
                              row=row_number)
        values: dict[str, str] = {}
        for key, value in item.items():
            name = header_normalise([str(key)])[0]
            what = character_problem(name)
            if what is not None:
                raise FileRefused(f'Row {row_number}, key "{printable(_short(name))}": the key contains {what}, '
                                  f"which cannot be stored. Rename it and upload the file again.",
                                  row=row_number, column=printable(_short(name)))
            if not name:
                raise FileRefused(f"Row {row_number}: a key is empty.", row=row_number)
            if name in values:
                raise FileRefused(f'Row {row_number}: the key "{name}" is given twice.', row=row_number, column=name)
            if isinstance(value, (dict, list)):
                raise FileRefused(
                    f'Row {row_number}, key "{name}": the value must be text, a number, true/false or null, '
                    f"not a nested {'object' if isinstance(value, dict) else 'list'}.",
                    row=row_number, column=name,
                )
            values[name] = _cell_text(value)
            if name not in known:
                known.add(name)
                header.append(name)
                if len(header) > MAX_COLUMNS:
                    raise FileRefused(f"The file has more than {MAX_COLUMNS} different keys.", row=row_number)
        normalised_rows.append((row_number, values))

    def records() -> Iterator[tuple[int, list[str]]]:
        for row_number, values in normalised_rows:
            yield row_number, [values.get(name, "") for name in header]

    return Table(header=header, rows=_rows(records(), header, max_rows=max_rows), format="json")


# --- XLSX -----------------------------------------------------------------

def _zip_check(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise FileRefused(f"The workbook has {len(members):,} parts; at most {ZIP_MAX_MEMBERS:,} are allowed.")
    cap = min(ZIP_MAX_TOTAL_BYTES, settings.IMPORT_MAX_MB * 20 * 1024 * 1024)
    total = sum(member.file_size for member in members)
    if total > cap:
        raise FileRefused(
            f"The workbook unpacks to {total / 1024 / 1024:,.0f} MB; at most {cap // 1024 // 1024} MB are allowed."
        )
    for member in members:
        if member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1) and member.file_size > 1024 * 1024:
            raise FileRefused(
                f'The workbook part "{_short(member.filename)}" is compressed more than {ZIP_MAX_RATIO} times; '
                f"it is refused as a possible zip bomb."
            )
        if member.flag_bits & 0x1:
            raise FileRefused("The workbook is encrypted: remove the password and save it again.")
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
        raise FileRefused("The file is a ZIP archive, not an Excel workbook.")
    # A DTD has no business in a workbook; refuse it with a clear message here (defusedxml
    # inside openpyxl refuses entities anyway).
    for member in members:
        if member.filename.endswith((".xml", ".rels")):
            with archive.open(member) as stream:
                head = stream.read(4096)
            if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                raise FileRefused(
                    f'The workbook part "{_short(member.filename)}" declares a DTD or entities, which are not '
                    f"allowed. Save the sheet again from Excel or LibreOffice."
                )


def _xml_refused(exc: BaseException) -> bool:
    """Whether defusedxml refused the XML (openpyxl wraps its errors in a ValueError)."""
    from defusedxml import DefusedXmlException

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DefusedXmlException):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


_XML_REFUSED = "The workbook contains XML entities or a DTD, which are not allowed."


def _xlsx_read(data: bytes, *, max_rows: int | None) -> Table:
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # pragma: no cover - defusedxml is a pinned dependency
        raise FileRefused("Excel files cannot be read safely on this server (defusedxml is missing).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused("The file looks like an Excel workbook but the archive is damaged.") from None
    try:
        _zip_check(archive)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise FileRefused("The file looks like an Excel workbook but the archive is damaged.") from None
    finally:
        archive.close()

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged input
        if _xml_refused(exc):
            raise FileRefused(_XML_REFUSED) from None
        raise FileRefused("The file could not be read as an Excel workbook: save it again as .xlsx.") from None

    try:
        if not workbook.worksheets:
            raise FileRefused("The workbook has no sheets.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the stored dimensions may claim anything

        header: list[str] | None = None
        header_row = 0
        leading = _xlsx_records(sheet.iter_rows(values_only=True))
        try:
            for row_number, values in leading:
                texts = [_cell_text(value) for value in values]
                if any(texts):
                    header, header_row = _header_check(texts, row_number, delimiter=""), row_number
                    break
        finally:
            leading.close()
        if header is None:
            raise FileRefused("The first sheet of the workbook is empty.")
    except BaseException:
        workbook.close()
        raise

    def records() -> Iterator[tuple[int, tuple]]:
        try:
            rows = sheet.iter_rows(min_row=header_row + 1, max_col=len(header) + XLSX_EXTRA_COLUMNS,
                                   values_only=True)
            yield from _xlsx_records(rows, start=header_row + 1, stop_after=max_rows)
        finally:
            workbook.close()

    return Table(header=header, rows=_rows(records(), header, max_rows=max_rows), format="xlsx")


def _xlsx_records(rows: Iterator[tuple], *, start: int = 1,
                  stop_after: int | None = None) -> Iterator[tuple[int, tuple]]:
    """Number the sheet's rows, stopping after `stop_after` + 1 non-blank rows and refusing
    sheets padded with huge numbers of blank rows."""
    blank = 0
    seen = 0
    row_number = start - 1
    try:
        for values in rows:
            row_number += 1
            if row_number > XLSX_MAX_ROW_NUMBER:
                raise FileRefused(f"The sheet has rows beyond row {XLSX_MAX_ROW_NUMBER:,}.")
            if not values or all(value is None or value == "" for value in values):
                blank += 1
                if blank > XLSX_MAX_BLANK_ROWS:
                    raise FileRefused(
                        f"The sheet has more than {XLSX_MAX_BLANK_ROWS:,} empty rows; delete them and try again.")
                yield row_number, ()
                continue
            seen += 1
            yield row_number, values
            if stop_after is not None and seen > stop_after:
                return
    except FileRefused:
        raise
    except Exception as exc:  # damaged sheet XML
        if _xml_refused(exc):
            raise FileRefused(_XML_REFUSED) from None
        raise FileRefused(f"Row {row_number + 1} of the sheet could not be read: save the workbook again as .xlsx.",
                          row=row_number + 1) from None
