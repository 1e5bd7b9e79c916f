import codecs
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from dataio.columns import value_parse
from dataio.readers import BAD_CHARACTERS, FileRefused, column_letter, table_read


def _read(data: bytes, file_name: str = "file.csv", **kwargs) -> tuple[list[str], list[tuple[int, list[str]]], object]:
    table = table_read(data=data, file_name=file_name, **kwargs)
    return table.header, list(table.rows), table


def _refused(data: bytes, file_name: str = "file.csv", **kwargs) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        table = table_read(data=data, file_name=file_name, **kwargs)
        list(table.rows)
    assert caught.value.field == "file"
    return caught.value


def _xlsx(rows: list[list], *, title: str = "Products") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_rewrite(data: bytes, name: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == name:
                content = change(content)
            target.writestr(member.filename, content)
    return out.getvalue()


# --- happy paths ------------------------------------------------------------

def test_table_read_plain_utf8_csv():
    header, rows, table = _read(b"sku,product,price\nTS-1,T-shirt,19.99\nTS-2,T-shirt,21.00\n")
    assert table.format == "csv" and table.encoding == "utf-8" and table.delimiter == ","
    assert header == ["sku", "product", "price"]
    assert rows == [(2, ["TS-1", "T-shirt", "19.99"]), (3, ["TS-2", "T-shirt", "21.00"])]


def test_table_read_utf8_bom_header_matches_sku():
    header, rows, table = _read(codecs.BOM_UTF8 + "sku,name\nA-1,Café\n".encode())
    assert header[0] == "sku"
    assert rows == [(2, ["A-1", "Café"])]
    assert table.encoding == "utf-8-sig"


def test_table_read_windows_1252_detected():
    data = "sku,product,notes\nA-1,Crème brûlée,“quoted” – 5€\n".encode("cp1252")
    header, rows, table = _read(data)
    assert table.encoding == "cp1252"
    assert rows == [(2, ["A-1", "Crème brûlée", "“quoted” – 5€"])]


def test_table_read_windows_1252_undefined_byte_refused_naming_row():
    data = b"sku,product\nA-1,ok\nA-2,caf\xe9 \x81 bad\n"
    refusal = _refused(data)
    assert refusal.row == 3
    assert "row 3" in refusal.message and "0x81" in refusal.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_table_read_utf16_with_bom(encoding):
    text = "sku\tproduct\tprice\nA-1\tÜber-Tasse\t4.50\n"
    data = text.encode("utf-16") if encoding == "utf-16" else (
        (codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE) + text.encode(encoding))
    header, rows, table = _read(data)
    assert table.encoding == "utf-16" and table.delimiter == "\t"
    assert header == ["sku", "product", "price"]
    assert rows == [(2, ["A-1", "Über-Tasse", "4.50"])]


def test_table_read_semicolon_delimiter_sniffed():
    header, rows, table = _read("sku;product;price\nA-1;Mug, large;12,5\n".encode())
    assert table.delimiter == ";"
    assert header == ["sku", "product", "price"]
    assert rows == [(2, ["A-1", "Mug, large", "12,5"])]
    with pytest.raises(ValueError, match="decimal comma"):
        value_parse("decimal", rows[0][1][2])


def test_table_read_delimiter_inside_quotes_not_counted():
    header, rows, table = _read(b'"sku","name; with semicolon","x;y"\nA,B,C\n')
    assert table.delimiter == ","
    assert header == ["sku", "name;_with_semicolon", "x;y"]


def test_table_read_newlines_in_quoted_fields_keep_spreadsheet_row_numbers():
    data = b'sku,description\r\nA-1,"first line\r\nsecond line"\r\nA-2,"say ""hi"""\r\n\r\nA-3,plain\r\n'
    header, rows, _ = _read(data)
    assert rows == [
        (2, ["A-1", "first line\r\nsecond line"]),
        (3, ["A-2", 'say "hi"']),
        (5, ["A-3", "plain"]),
    ]


def test_table_read_header_normalised():
    header, rows, _ = _read(b" SKU , Unit Cost ,Lead  Time Days,,\nA,1.00,3,,\n")
    assert header == ["sku", "unit_cost", "lead_time_days"]
    assert rows == [(2, ["A", "1.00", "3"])]


def test_table_read_short_rows_padded():
    _, rows, _ = _read(b"sku,product,price\nA-1\nA-2,Mug\n")
    assert rows == [(2, ["A-1", "", ""]), (3, ["A-2", "Mug", ""])]


def test_table_read_values_stripped_and_blank_rows_skipped():
    _, rows, _ = _read(b"sku,product\n  A-1  ,  Mug \n,\n\n A-2,Cup\n")
    assert rows == [(2, ["A-1", "Mug"]), (5, ["A-2", "Cup"])]


def test_table_read_json_list_of_objects():
    data = json.dumps([
        {"SKU": "A-1", "price": 19.99, "active": True, "barcode": None, "lead_time_days": 7},
        {"sku": "A-2", "price": "5.00", "notes": "extra"},
    ]).encode()
    header, rows, table = _read(data, "items.json")
    assert table.format == "json"
    assert header == ["sku", "price", "active", "barcode", "lead_time_days", "notes"]
    assert rows == [
        (2, ["A-1", "19.99", "true", "", "7", ""]),
        (3, ["A-2", "5.00", "", "", "", "extra"]),
    ]


def test_table_read_csv_starting_with_bracket_named_csv_stays_csv():
    header, rows, table = _read(b"[sku],product\nA-1,Mug\n", "f.csv")
    assert table.format == "csv" and header == ["[sku]", "product"]


def test_table_read_json_detected_by_content_despite_name():
    header, rows, table = _read(b'  \n[{"sku": "A-1"}]', "upload.bin")
    assert table.format == "json" and rows == [(2, ["A-1"])]


def test_table_read_xlsx_cells_converted_to_text():
    data = _xlsx([
        ["SKU", "Price", "Qty", "Active", "Received", "Ratio", "Barcode"],
        ["A-1", 19.99, 12, True, datetime(2024, 5, 1), 1234.5678, 5012345678900],
        ["A-2", Decimal("7.50"), 3.0, False, date(2024, 6, 30), 1e-05, None],
    ])
    header, rows, table = _read(data, "products.xlsx")
    assert table.format == "xlsx"
    assert header == ["sku", "price", "qty", "active", "received", "ratio", "barcode"]
    assert rows[0] == (2, ["A-1", "19.99", "12", "true", "2024-05-01", "1234.5678", "5012345678900"])
    assert rows[1] == (3, ["A-2", "7.5", "3", "false", "2024-06-30", "0.00001", ""])


def test_table_read_xlsx_detected_by_content_with_csv_name():
    _, rows, table = _read(_xlsx([["sku"], ["A-1"]]), "export.csv")
    assert table.format == "xlsx" and rows == [(2, ["A-1"])]


def test_table_read_xlsx_stops_after_max_rows():
    data = _xlsx([["sku"]] + [[f"A-{n}"] for n in range(30)])
    refusal = _refused(data, "big.xlsx", max_rows=10)
    assert "more than 10 data rows" in refusal.message
    _, rows, _ = _read(data, "big.xlsx", max_rows=30)
    assert len(rows) == 30


def test_table_read_defusedxml_active():
    assert openpyxl.DEFUSEDXML is True


# --- bad input ----------------------------------------------------------------

def test_table_read_zero_bytes_refused():
    assert "empty" in _refused(b"").message


@pytest.mark.parametrize("data", [b"   \r\n\n", codecs.BOM_UTF8, b"\n,,,\n,,\n"])
def test_table_read_blank_file_refused(data):
    assert "empty" in _refused(data).message


@pytest.mark.parametrize("data,name", [
    (b"sku,product,price\n", "f.csv"),
    (b"sku,product,price\n\n,,\n", "f.csv"),
    (b"[]", "f.json"),
])
def test_table_read_header_only_refused(data, name):
    refusal = _refused(data, name)
    assert "no data rows" in refusal.message


def test_table_read_header_only_xlsx_refused():
    assert "no data rows" in _refused(_xlsx([["sku", "product"]]), "f.xlsx").message


def test_table_read_binary_garbage_refused():
    garbage = bytes(range(256)) * 8
    assert "binary" in _refused(garbage, "products.csv").message


def test_table_read_nul_bytes_in_csv_refused_as_binary_naming_row():
    refusal = _refused(b"sku,product\nA-1,Mug\n" + b"A-2,C\x00u\x00p\x00\n" * 2)
    assert "binary" in refusal.message and refusal.row == 3


# --- characters that cannot be stored (NUL, control characters, lone surrogates) ---------

def _stored_safely(refusal: FileRefused) -> None:
    """The message and column name the problem without holding it."""
    assert BAD_CHARACTERS.search(refusal.message) is None
    assert BAD_CHARACTERS.search(refusal.column or "") is None


def test_table_read_stray_nul_in_csv_refused_naming_row_and_column():
    refusal = _refused(b"sku,product\nA-1,Mug\nA-2,Cu\x00p\n")
    assert (refusal.row, refusal.column) == (3, "product")
    assert refusal.message.startswith('Row 3, column "product"') and "NUL character (U+0000)" in refusal.message
    _stored_safely(refusal)


@pytest.mark.parametrize("char", ["\x01", "\x08", "\x0b", "\x1b"])
def test_table_read_control_character_in_csv_cell_refused_naming_row_and_column(char):
    refusal = _refused(f"sku,product\nA-1,Mu{char}g\n".encode())
    assert (refusal.row, refusal.column) == (2, "product") and "control character" in refusal.message
    _stored_safely(refusal)


def test_table_read_control_character_in_csv_header_refused_naming_the_column():
    refusal = _refused(b"sku,pro\x01duct\nA-1,Mug\n")
    assert (refusal.row, refusal.column) == (1, "B") and "control character" in refusal.message
    _stored_safely(refusal)


def test_table_read_nul_in_utf16_csv_refused_naming_row_and_column():
    refusal = _refused("sku,product\nA-1,Mug\nA-2,Cu\x00p\n".encode("utf-16"))
    assert (refusal.row, refusal.column) == (3, "product") and "NUL" in refusal.message


def test_table_read_tabs_and_line_breaks_in_cells_are_text():
    _, rows, _ = _read(b'sku,notes\nA-1,"one\ttwo\r\nthree"\n')
    assert rows == [(2, ["A-1", "one\ttwo\r\nthree"])]


@pytest.mark.parametrize("escape, what", [
    ("\\u0000", "NUL character (U+0000)"),
    ("\\ud800", "unpaired surrogate (U+D800"),
    ("\\udfff", "unpaired surrogate (U+DFFF"),
    ("\\u0007", "control character (U+0007)"),
])
def test_table_read_json_bad_character_in_a_value_refused_naming_row_and_column(escape, what):
    data = ('[{"sku": "A-1", "product": "Mug"}, {"sku": "A-2", "product": "Cu' + escape + 'p"}]').encode()
    refusal = _refused(data, "f.json")
    assert (refusal.row, refusal.column) == (3, "product")
    assert refusal.message.startswith('Row 3, column "product"') and what in refusal.message
    _stored_safely(refusal)


def test_table_read_json_bad_character_in_a_key_refused_naming_row_and_key():
    refusal = _refused(b'[{"sku": "A-1", "pro\\u0000duct": "Mug"}]', "f.json")
    assert (refusal.row, refusal.column) == (2, "pro\\u0000duct") and "NUL" in refusal.message
    _stored_safely(refusal)


def test_table_read_json_surrogate_pair_and_escaped_whitespace_are_text():
    _, rows, _ = _read(b'[{"sku": "A-1", "product": "Mug \\ud83d\\ude00", "notes": "a\\tb\\nc"}]', "f.json")
    assert rows == [(2, ["A-1", "Mug \U0001F600", "a\tb\nc"])]


def test_table_read_xlsx_control_character_refused_naming_row():
    # XML cannot hold it: the workbook is refused as damaged at that row, never read into a cell.
    data = _zip_rewrite(_xlsx([["sku", "product"], ["A-1", "Mug"], ["A-2", "Cup"]]), "xl/worksheets/sheet1.xml",
                        lambda c: c.replace(b"<t>Cup</t>", b"<t>C&#1;up&#0;</t>"))
    refusal = _refused(data, "f.xlsx")
    assert refusal.row == 3 and "could not be read" in refusal.message


def test_table_read_control_characters_refused():
    assert "binary" in _refused(b"\x01\x02\x03\x04\x05\x06\x07\x08" * 20 + b"\n").message


def test_table_read_old_xls_refused():
    assert ".xls" in _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls").message


def test_table_read_text_named_xlsx_read_by_content():
    _, rows, table = _read(b"sku,product\nA,B\n", "book.xlsx")
    assert table.format == "csv" and rows == [(2, ["A", "B"])]


def test_table_read_garbage_named_xlsx_refused():
    assert "binary" in _refused(bytes(range(256)) * 4, "book.xlsx").message


def test_table_read_ragged_row_refused_naming_row():
    refusal = _refused(b"sku,product,price\nA-1,Mug,4.00\nA-2,Cup,3.00,extra\n")
    assert refusal.row == 3 and refusal.column == "D"
    assert "Row 3 has 4 values but the header has 3 columns" in refusal.message


def test_table_read_trailing_empty_values_not_ragged():
    _, rows, _ = _read(b"sku,product\nA-1,Mug,,\n")
    assert rows == [(2, ["A-1", "Mug"])]


def test_table_read_very_long_cell_refused_naming_row_and_column():
    refusal = _refused(b"sku,description\nA-1,short\nA-2," + b"x" * 10_001 + b"\n")
    assert (refusal.row, refusal.column) == (3, "description")
    assert "longer than 10,000 characters" in refusal.message


def test_table_read_huge_cell_over_csv_limit_refused():
    refusal = _refused(b"sku,description\nA-1," + b"x" * 200_000 + b"\n")
    assert refusal.row == 2 and "longer than 10,000" in refusal.message


def test_table_read_cell_of_exactly_the_limit_accepted():
    _, rows, _ = _read(b"sku,description\nA-1," + b"x" * 10_000 + b"\n")
    assert len(rows[0][1][1]) == 10_000


def test_table_read_unterminated_quote_refused_naming_row():
    refusal = _refused(b'sku,description\nA-1,ok\nA-2,"never closed\nA-3,more\n')
    assert refusal.row == 3 and "quotes" in refusal.message


@pytest.mark.parametrize("data,name", [
    (b'"sku;product;price"\n"A-1;Mug;4"\n', "semicolons"),
    (b'"sku\tproduct"\n"A\tB"\n', "tabs"),
    (b"sku|product|price\nA-1|Mug|4\n", "vertical bars"),
])
def test_table_read_wrong_delimiter_refused(data, name):
    refusal = _refused(data)
    assert f"separated by {name}" in refusal.message and refusal.row == 1


def test_table_read_blank_column_name_refused():
    refusal = _refused(b"sku,,price\nA,B,C\n")
    assert refusal.column == "B" and "no name" in refusal.message


def test_table_read_duplicate_column_refused():
    assert 'column "sku" appears twice' in _refused(b"sku,SKU\nA,B\n").message


def test_table_read_too_many_rows_refused():
    data = b"sku\n" + b"".join(b"A-%d\n" % n for n in range(11))
    refusal = _refused(data, max_rows=10)
    assert "more than 10 data rows" in refusal.message and refusal.row == 12
    assert len(_read(data, max_rows=11)[1]) == 11


def test_table_read_too_many_rows_json_refused():
    data = json.dumps([{"sku": f"A-{n}"} for n in range(5)]).encode()
    assert "more than 4 data rows" in _refused(data, "f.json", max_rows=4).message


@pytest.mark.parametrize("value", ["1,234", "1,234.50", "1.234,56", "12,5"])
def test_table_read_number_formats_read_as_text_and_refused_by_value_parse(value):
    data = f'sku;price\nA-1;"{value}"\n'.encode()
    _, rows, _ = _read(data)
    assert rows[0][1][1] == value
    with pytest.raises(ValueError, match="thousands separator|decimal comma"):
        value_parse("decimal", value)


def test_table_read_thousands_separator_in_comma_csv_is_ragged_or_refused():
    # Unquoted "1,234" in a comma-separated file splits into two cells: a ragged row.
    refusal = _refused(b"sku,price\nA-1,1,234\n")
    assert refusal.row == 2 and "3 values" in refusal.message
    # Quoted it is one cell, refused when parsed.
    _, rows, _ = _read(b'sku,price\nA-1,"1,234"\n')
    with pytest.raises(ValueError, match="thousands separator"):
        value_parse("decimal", rows[0][1][1])


def test_table_read_json_nested_value_refused_naming_row_and_key():
    data = b'[{"sku": "A-1"}, {"sku": "A-2", "attributes": {"size": "M"}}]'
    refusal = _refused(data, "f.json")
    assert (refusal.row, refusal.column) == (3, "attributes")
    assert "nested object" in refusal.message


@pytest.mark.parametrize("data,fragment", [
    (b'{"sku": "A-1"}', "list of objects"),
    (b'[{"sku": "A-1"}, "text"]', "Row 3"),
    (b'[{"sku": NaN}]', "NaN"),
    (b'[{"sku": Infinity}]', "Infinity"),
    (b'[{"sku": "A-1",}]', "not valid JSON"),
    (b'sku,product\nA,B\n', "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_table_read_bad_json_refused(data, fragment):
    assert fragment in _refused(data, "f.json").message


def test_table_read_json_duplicate_normalised_keys_refused():
    assert "given twice" in _refused(b'[{"sku": "A", "SKU": "B"}]', "f.json").message


def test_table_read_zip_bomb_ratio_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 100_000
    refusal = _refused(data, "bomb.xlsx")
    assert "zip bomb" in refusal.message


def test_table_read_zip_declared_size_refused(settings):
    settings.IMPORT_MAX_MB = 1  # cap becomes 20 MB unpacked
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (25 * 1024 * 1024))
    refusal = _refused(out.getvalue(), "bomb.xlsx")
    assert "unpacks to 25 MB" in refusal.message


def test_table_read_zip_too_many_members_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for n in range(1_001):
            archive.writestr(f"xl/part{n}.bin", b"")
    assert "1,001 parts" in _refused(out.getvalue(), "many.xlsx").message


def test_table_read_zip_not_a_workbook_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not an Excel workbook" in _refused(out.getvalue(), "a.zip").message


def test_table_read_damaged_zip_refused():
    data = _xlsx([["sku"], ["A-1"]])
    assert "damaged" in _refused(data[: len(data) // 2], "cut.xlsx").message


_DTD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE worksheet [<!ENTITY boom "BOOM">]>\n'


def _with_dtd(content: bytes, padding: bytes = b"") -> bytes:
    body = content.split(b"?>", 1)[1] if content.startswith(b"<?xml") else content
    return _DTD.replace(b"\n<!DOCTYPE", b"\n" + padding + b"<!DOCTYPE") + body.replace(b"A-1", b"&boom;")


def test_table_read_xlsx_with_dtd_entity_refused():
    data = _zip_rewrite(_xlsx([["sku"], ["A-1"]]), "xl/worksheets/sheet1.xml", _with_dtd)
    refusal = _refused(data, "evil.xlsx")
    assert "DTD or entities" in refusal.message


def test_table_read_xlsx_with_entity_past_the_prefix_refused_by_defusedxml():
    # A long comment before the DTD hides it from the quick prefix check; the
    # defused XML parser inside openpyxl refuses the entity anyway.
    padding = b"<!--" + b" " * 10_000 + b"-->\n"
    data = _zip_rewrite(_xlsx([["sku"], ["A-1"]]), "xl/worksheets/sheet1.xml", lambda c: _with_dtd(c, padding))
    refusal = _refused(data, "evil.xlsx")
    assert "entities or a DTD" in refusal.message


def test_table_read_xlsx_entity_in_shared_strings_refused():
    data = _xlsx([["sku"], ["A-1"]])
    data = _zip_rewrite(data, "xl/workbook.xml",
                        lambda c: _with_dtd(c, b"<!--" + b" " * 10_000 + b"-->\n"))
    assert "entities or a DTD" in _refused(data, "evil.xlsx").message


def test_table_read_xlsx_ragged_row_refused():
    data = _xlsx([["sku", "product"], ["A-1", "Mug"], ["A-2", "Cup", None, "stray"]])
    refusal = _refused(data, "f.xlsx")
    assert refusal.row == 3 and refusal.column == "D"


def test_table_read_xlsx_huge_dimension_claim_ignored():
    data = _zip_rewrite(_xlsx([["sku"], ["A-1"]]), "xl/worksheets/sheet1.xml",
                        lambda c: c.replace(b'<dimension ref="A1:A2"/>', b'<dimension ref="A1:XFD1048576"/>'))
    _, rows, _ = _read(data, "f.xlsx")
    assert rows == [(2, ["A-1"])]


def test_table_read_xlsx_row_far_away_refused():
    data = _zip_rewrite(_xlsx([["sku"], ["A-1"]]), "xl/worksheets/sheet1.xml",
                        lambda c: c.replace(b'<row r="2"', b'<row r="2000000"').replace(b'r="A2"', b'r="A2000000"'))
    assert "empty rows" in _refused(data, "f.xlsx").message


def test_table_read_xlsx_long_cell_refused():
    refusal = _refused(_xlsx([["sku", "notes"], ["A-1", "y" * 10_001]]), "f.xlsx")
    assert (refusal.row, refusal.column) == (2, "notes")


def test_table_read_oversized_file_refused(settings):
    settings.IMPORT_MAX_MB = 1
    assert "larger than 1 MB" in _refused(b"sku\n" + b"A\n" * 600_000).message


def test_file_refused_as_dict_names_file_row_and_column():
    refusal = _refused(b"sku,product\nA,B,C\n")
    body = refusal.as_dict()
    assert body["file"] == [refusal.message] and body["row"] == 2 and body["column"] == "C"


@pytest.mark.parametrize("index,letters", [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")])
def test_column_letter(index, letters):
    assert column_letter(index) == letters


def _declared_size_set(data: bytes, name: str, size: int) -> bytes:
    """Rewrite the central directory's uncompressed size of one member (a lying archive)."""
    buffer = bytearray(data)
    start = 0
    while (start := buffer.find(b"PK\x01\x02", start)) >= 0:
        name_length = int.from_bytes(buffer[start + 28:start + 30], "little")
        if buffer[start + 46:start + 46 + name_length] == name.encode():
            buffer[start + 24:start + 28] = size.to_bytes(4, "little")
            return bytes(buffer)
        start += 4
    raise AssertionError(f"{name} not found")


def test_table_read_xlsx_declared_size_lie_caps_bytes_read():
    # The sheet says it unpacks to 64 bytes but holds far more: zipfile stops at the
    # declared size and the CRC check fails, so the file is refused, never read further.
    data = _xlsx([["sku", "notes"]] + [[f"A-{n}", "x" * 50] for n in range(200)])
    lying = _declared_size_set(data, "xl/worksheets/sheet1.xml", 64)
    with zipfile.ZipFile(io.BytesIO(lying)) as archive, archive.open("xl/worksheets/sheet1.xml") as stream:
        with pytest.raises(zipfile.BadZipFile, match="CRC"):
            stream.read()
    refusal = _refused(lying, "lying.xlsx")
    assert "damaged" in refusal.message


# --- neutralised cells ------------------------------------------------------

def test_table_read_csv_restores_neutralised_text_cells():
    data = ("sku,name,phone,notes\r\n"
            "\"'-Sale-\",\"'=SUM(A1)\",\"'+44 20 7946 0000\",\"'@home\"\r\n"
            "\"'\tTabbed\",\"'\rReturn\",'quoted',it's\r\n").encode()
    header, rows, _ = _read(data)
    assert header == ["sku", "name", "phone", "notes"]
    assert rows == [
        (2, ["-Sale-", "=SUM(A1)", "+44 20 7946 0000", "@home"]),
        (3, ["\tTabbed", "\rReturn", "'quoted'", "it's"]),
    ]


def test_table_read_csv_restores_what_the_csv_writer_neutralised():
    from dataio.writers import csv_write

    values = ["=1+2", "+44 20 7946 0000", "-Sale-", "@cmd", "\tTab", "'kept", "plain", "''=double"]
    buffer = io.BytesIO()
    csv_write(file=buffer, header=["name"], kinds=["text"], chunks=[[(value,) for value in values]])
    _header, rows, _ = _read(buffer.getvalue())
    assert [row[1][0] for row in rows] == values


@pytest.mark.parametrize("file_name, data", [
    ("f.json", b'[{"name": "\'=1+2"}]'),
    ("f.xlsx", None),
])
def test_table_read_leaves_apostrophes_alone_outside_csv(file_name, data):
    data = data if data is not None else _xlsx([["name"], ["'=1+2"]])
    _header, rows, _ = _read(data, file_name)
    assert rows == [(2, ["'=1+2"])]
