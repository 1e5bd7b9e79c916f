from datetime import date
from decimal import Decimal

import pytest

from dataio.columns import (
    IMPORT_COLUMNS,
    IMPORT_KEYS,
    KINDS,
    attributes_format,
    attributes_parse,
    category_path_format,
    category_path_parse,
    value_format,
    value_parse,
)


def test_import_columns_cover_every_import_type():
    from dataio.models import ImportType

    assert set(IMPORT_COLUMNS) == set(ImportType.values) == set(IMPORT_KEYS)


@pytest.mark.parametrize("import_type", list(IMPORT_COLUMNS))
def test_import_columns_well_formed(import_type):
    columns = IMPORT_COLUMNS[import_type]
    names = [column.name for column in columns]
    assert len(names) == len(set(names))
    assert set(IMPORT_KEYS[import_type]) <= set(names)
    for column in columns:
        assert column.kind in KINDS
        assert column.help and column.help.endswith(".")
        assert column.name == column.name.strip().lower()
        # every example parses as its own kind
        value_parse(column.kind, column.example)
        if column.required:
            assert column.example


def test_import_columns_products_order_and_required():
    columns = IMPORT_COLUMNS["products"]
    assert [c.name for c in columns] == [
        "sku", "product", "category", "description", "barcode", "attributes", "price", "cost",
        "active", "product_active", "track_inventory",
    ]
    assert [c.name for c in columns if c.required] == ["sku", "product"]


def test_import_columns_stock_counts():
    columns = {c.name: c for c in IMPORT_COLUMNS["stock_counts"]}
    assert [n for n, c in columns.items() if c.required] == ["sku", "reason"]
    assert columns["counted"].kind == columns["change"].kind == "int"


@pytest.mark.parametrize("kind,value,text", [
    ("text", "Mug", "Mug"),
    ("text", "", ""),
    ("int", 12, "12"),
    ("int", -3, "-3"),
    ("int", 0, "0"),
    ("decimal", Decimal("12.50"), "12.50"),
    ("decimal", Decimal("0.00"), "0.00"),
    ("decimal", Decimal("-4.1"), "-4.1"),
    ("decimal", Decimal("1E+3"), "1000"),
    ("bool", True, "true"),
    ("bool", False, "false"),
    ("json", {"size": "M", "n": [1, 2]}, '{"size":"M","n":[1,2]}'),
    ("json", ["a", "ü"], '["a","ü"]'),
])
def test_value_format_and_parse_round_trip(kind, value, text):
    assert value_format(kind, value) == text
    parsed = value_parse(kind, text)
    assert parsed == value
    assert value_format(kind, parsed) == text


@pytest.mark.parametrize("kind", ["int", "decimal", "bool", "json"])
def test_value_format_none_is_blank_and_blank_parses_to_none(kind):
    assert value_format(kind, None) == ""
    assert value_parse(kind, "") is None
    assert value_parse(kind, "   ") is None


def test_value_parse_text_stripped():
    assert value_parse("text", "  Mug  ") == "Mug"
    assert value_parse("text", "") == ""


def test_value_format_other_values():
    assert value_format("text", date(2024, 5, 1)) == "2024-05-01"
    assert value_format("decimal", 0.1) == "0.1"
    assert value_format("text", {"size": "M", "colour": "Blue"}) == "size=M; colour=Blue"
    assert value_format("decimal", Decimal("-0")) == "0"


@pytest.mark.parametrize("text,expected", [
    ("true", True), ("TRUE", True), ("Yes", True), ("1", True), ("y", True),
    ("false", False), ("No", False), ("0", False), ("n", False), (" False ", False),
])
def test_value_parse_bool_accepts(text, expected):
    assert value_parse("bool", text) is expected


@pytest.mark.parametrize("text", ["maybe", "2", "on", "ja"])
def test_value_parse_bool_refuses(text):
    with pytest.raises(ValueError, match="not true or false"):
        value_parse("bool", text)


@pytest.mark.parametrize("text,expected", [("12", 12), ("+7", 7), ("-3", -3), (" 42 ", 42), ("12.0", 12)])
def test_value_parse_int_accepts(text, expected):
    assert value_parse("int", text) == expected


@pytest.mark.parametrize("text,why", [
    ("1,234", "thousands separator"),
    ("1 234", "thousands separator"),
    ("12.5", "not a whole number"),
    ("12,5", "decimal comma"),
    ("twelve", "not a whole number"),
    ("1e3", "not a whole number"),
])
def test_value_parse_int_refuses_saying_why(text, why):
    with pytest.raises(ValueError, match=why):
        value_parse("int", text)


@pytest.mark.parametrize("text,expected", [
    ("12.50", Decimal("12.50")), ("0", Decimal("0")), ("-1.5", Decimal("-1.5")), (".5", Decimal("0.5")),
    ("7.", Decimal("7")),
])
def test_value_parse_decimal_accepts(text, expected):
    assert value_parse("decimal", text) == expected


@pytest.mark.parametrize("text,why", [
    ("1,234", "thousands separator"),
    ("1,234.50", "thousands separator"),
    ("12,5", "decimal comma"),
    ("1.234,56", "decimal comma"),
    ("$12.00", "not a number"),
    ("NaN", "not a number"),
    ("Infinity", "not a number"),
    ("1e3", "not a number"),
    ("12.50 EUR", "not a number"),
])
def test_value_parse_decimal_refuses_saying_why(text, why):
    with pytest.raises(ValueError, match=why):
        value_parse("decimal", text)


@pytest.mark.parametrize("text", ["NaN", "{", "[1,", "Infinity"])
def test_value_parse_json_refuses(text):
    with pytest.raises(ValueError, match="not valid JSON"):
        value_parse("json", text)


def test_value_parse_unknown_kind():
    with pytest.raises(ValueError, match="unknown column kind"):
        value_parse("money", "1")


@pytest.mark.parametrize("attributes,text", [
    ({}, ""),
    ({"size": "M"}, "size=M"),
    ({"size": "M", "colour": "Blue"}, "size=M; colour=Blue"),
    ({"colour": "Blue", "size": "M"}, "colour=Blue; size=M"),
    ({"fit": ""}, "fit="),
    ({"a;b": "c=d", "path": "x\\y"}, "a\\;b=c\\=d; path=x\\\\y"),
    ({"Größe": "groß"}, "Größe=groß"),
])
def test_attributes_round_trip(attributes, text):
    assert attributes_format(attributes) == text
    parsed = attributes_parse(text)
    assert parsed == attributes and list(parsed) == list(attributes)


def test_attributes_parse_strips_and_keeps_order():
    parsed = attributes_parse("  size = M ;colour=  Navy Blue ;  ; ")
    assert list(parsed.items()) == [("size", "M"), ("colour", "Navy Blue")]


def test_attributes_format_strips_and_writes_non_text_values():
    assert attributes_format({" size ": " M ", "pack": 6, "organic": True}) == "size=M; pack=6; organic=true"


@pytest.mark.parametrize("text,why", [
    ("size", 'has no "="'),
    ("size=M; colour", 'has no "="'),
    ("=M", "has no name"),
    ("size=M; size=L", "given twice"),
])
def test_attributes_parse_refuses(text, why):
    with pytest.raises(ValueError, match=why):
        attributes_parse(text)


def test_category_path_round_trip():
    assert category_path_parse(" Clothing / Shirts  /  Long sleeve ") == ["Clothing", "Shirts", "Long sleeve"]
    assert category_path_parse("Clothing/Shirts/Long sleeve") == ["Clothing", "Shirts", "Long sleeve"]
    assert category_path_format(["Clothing", "Shirts"]) == "Clothing / Shirts"
    assert category_path_parse("") == []
    assert category_path_parse("Clothing/Shirts") == ["Clothing", "Shirts"]
    assert category_path_parse("Clothing / Tops/Tees") == ["Clothing", "Tops/Tees"]
    assert category_path_parse(category_path_format(["A/B", "C"])) == ["A/B", "C"]
    with pytest.raises(ValueError, match="empty part"):
        category_path_parse("Clothing // Shirts")
    with pytest.raises(ValueError, match="empty part"):
        category_path_parse("Clothing /  / Shirts")
