import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from core.csv import cell_neutralise, cell_restore
from dataio.columns import value_format
from dataio.writers import ColumnChunk, chunks_of, csv_write, json_write, xlsx_write

FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTab", "\rReturn", '=HYPERLINK("http://x","y")']


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _write_csv(header, kinds, rows) -> bytes:
    out = io.BytesIO()
    csv_write(file=out, header=header, kinds=kinds, chunks=chunks_of(rows, 2))
    return out.getvalue()


def _write_xlsx(header, kinds, rows):
    out = io.BytesIO()
    xlsx_write(file=out, header=header, kinds=kinds, chunks=chunks_of(rows, 2), title="Test / sheet")
    return openpyxl.load_workbook(io.BytesIO(out.getvalue())).active


@pytest.mark.parametrize("value", FORMULAS)
def test_cell_neutralise_prefixes_formula_text(value):
    assert cell_neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "", "a=b", 12, -3, Decimal("-1.50"), None])
def test_cell_neutralise_leaves_other_values(value):
    assert cell_neutralise(value) == value


@pytest.mark.parametrize("value", [*FORMULAS, "plain", "'quoted'", "'", ""])
def test_cell_restore_undoes_cell_neutralise(value):
    assert cell_restore(cell_neutralise(value)) == value


def test_csv_write_neutralises_and_quotes_formula_cells():
    rows = [(value, "ok") for value in FORMULAS]

    content = _write_csv(["text", "other"], ["text", "text"], rows)

    parsed = _csv_rows(content)
    assert parsed[0] == ["text", "other"]
    assert [row[0] for row in parsed[1:]] == ["'" + value for value in FORMULAS]
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[1] == "\"'=1+2\",ok"  # prefixed and quoted
    assert lines[3] == "\"'-2+3\",ok"


def test_csv_write_keeps_numbers_as_numbers():
    rows = [(-5, Decimal("-12.50"), "-5"), (None, Decimal("0.00"), "x")]

    content = _write_csv(["int", "decimal", "text"], ["int", "decimal", "text"], rows)

    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[1] == "-5,-12.50,\"'-5\""  # a negative number is no formula; the text "-5" is
    assert lines[2] == ",0.00,x"


def test_csv_write_quotes_commas_quotes_and_newlines():
    rows = [("a,b", 'say "hi"', "two\nlines"), ("plain", "", None)]

    parsed = _csv_rows(_write_csv(["a", "b", "c"], ["text"] * 3, rows))

    assert parsed[1:] == [["a,b", 'say "hi"', "two\nlines"], ["plain", "", ""]]


def test_csv_write_formats_cells_like_value_format():
    when = datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    row = ("text", 12, Decimal("19.90"), True, False, when, date(2024, 5, 2), {"a": [1, 2]})
    kinds = ["text", "int", "decimal", "bool", "bool", "datetime", "date", "json"]

    parsed = _csv_rows(_write_csv(list("abcdefgh"), kinds, [row]))

    assert parsed[1] == [value_format(kind, value) for kind, value in zip(kinds, row)]
    assert parsed[1][5] == "2024-05-01T10:30:00+00:00"


def test_csv_write_accepts_column_chunks_and_counts_rows():
    out = io.BytesIO()
    progress = []
    chunks = [ColumnChunk([["a", "b"], [1, 2]]), ColumnChunk([["c"], [3]])]

    written = csv_write(file=out, header=["t", "n"], kinds=["text", "int"], chunks=chunks, progress=progress.append)

    assert written == 3
    assert progress == [2, 3]
    assert _csv_rows(out.getvalue())[1:] == [["a", "1"], ["b", "2"], ["c", "3"]]


def test_csv_write_header_only_when_no_rows():
    assert _csv_rows(_write_csv(["a", "b"], ["text", "int"], [])) == [["a", "b"]]


def test_xlsx_write_formula_text_stays_a_plain_string_cell():
    rows = [(value, index) for index, value in enumerate(FORMULAS)]

    sheet = _write_xlsx(["text", "n"], ["text", "int"], rows)

    cells = list(sheet.iter_rows(min_row=2, values_only=False))
    for (value, index), (text_cell, number_cell) in zip(rows, cells):
        assert text_cell.data_type == "s"
        assert text_cell.value == value  # unchanged: no apostrophe in a spreadsheet cell
        assert number_cell.data_type == "n" and number_cell.value == index


def test_xlsx_write_numbers_stay_numbers_and_text_is_text():
    when = datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    rows = [(Decimal("-12.50"), -3, "-3", True, when, None, "a & <b>", " padded ", "bad\x01char")]
    kinds = ["decimal", "int", "text", "bool", "datetime", "text", "text", "text", "text"]

    sheet = _write_xlsx(list("abcdefghi"), kinds, rows)

    header, row = list(sheet.iter_rows(values_only=False))
    assert [cell.value for cell in header] == list("abcdefghi")
    assert header[0].font.b
    assert (row[0].data_type, row[0].value) == ("n", -12.5)
    assert (row[1].data_type, row[1].value) == ("n", -3)
    assert (row[2].data_type, row[2].value) == ("s", "-3")
    assert row[3].value == "true"
    assert row[4].value == "2024-05-01T10:30:00+00:00"
    assert row[5].value is None
    assert row[6].value == "a & <b>"
    assert row[7].value == " padded "
    assert row[8].value == "badchar"  # a control character XML cannot hold is dropped
    assert sheet.freeze_panes == "A2"


def test_xlsx_write_many_chunks_number_rows_in_order():
    rows = [(f"SKU-{i}", i) for i in range(7)]

    sheet = _write_xlsx(["sku", "n"], ["text", "int"], rows)

    assert list(sheet.iter_rows(min_row=2, values_only=True)) == rows


def test_json_write_streams_one_array_with_typed_values():
    out = io.BytesIO()
    rows = [("=1+2", 3, Decimal("1.50"), True, None), ("b", -1, None, False, "x")]

    written = json_write(file=out, header=["t", "i", "d", "b", "n"], kinds=["text", "int", "decimal", "bool", "text"],
                         chunks=chunks_of(rows, 1))

    assert written == 2
    assert json.loads(out.getvalue()) == [
        {"t": "=1+2", "i": 3, "d": "1.50", "b": True, "n": None},
        {"t": "b", "i": -1, "d": None, "b": False, "n": "x"},
    ]


def test_json_write_empty_is_an_empty_array():
    out = io.BytesIO()

    json_write(file=out, header=["a"], kinds=["text"], chunks=[])

    assert json.loads(out.getvalue()) == []


def test_csv_write_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        _write_csv(["a"], ["money"], [])
