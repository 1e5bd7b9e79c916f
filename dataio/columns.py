"""The columns of each import type, and how one cell is written and read.

Exports of the importable types and the import templates write exactly these columns
with `value_format`; imports read them back with `value_parse`, so a file exported and
imported again round-trips unchanged.

Kinds:
- "text": the cell stripped. Blank is "".
- "int": a whole number, optionally signed ("12", "-3"). Blank is None.
- "decimal": a plain decimal number with a full stop ("12.50"). Blank is None.
- "bool": true/false, yes/no, 1/0 (any case). Blank is None.
- "json": a JSON value. Blank is None.

Numbers with thousands separators ("1,234") or decimal commas ("12,5") are refused with a
message saying why rather than guessed at: the same text means different numbers in
different countries.
"""
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

KINDS = ("text", "int", "decimal", "bool", "json")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    kind: str
    example: str
    help: str


IMPORT_COLUMNS: dict[str, list[Column]] = {
    "categories": [
        Column("name", True, "text", "Shirts", "The category's name."),
        Column("parent", False, "text", "Clothing",
               'The parent category\'s path, e.g. "Clothing / Men"; blank for a top-level category.'),
    ],
    "products": [
        Column("sku", True, "text", "TSHIRT-BLUE-M", "The variant's SKU: unique, identifies the row."),
        Column("product", True, "text", "Classic T-shirt",
               "The product's name; rows with the same name are variants of one product."),
        Column("category", False, "text", "Clothing / Shirts",
               'The category\'s path, e.g. "Clothing / Shirts"; blank for none.'),
        Column("description", False, "text", "Soft cotton crew-neck T-shirt.", "The product's description."),
        Column("barcode", False, "text", "5012345678900", "The variant's barcode (EAN, UPC or your own)."),
        Column("attributes", False, "text", "size=M; colour=Blue",
               'The variant\'s options as name=value pairs separated by ";".'),
        Column("price", False, "decimal", "19.99", "The variant's selling price, e.g. 19.99 (no currency sign)."),
        Column("cost", False, "decimal", "7.50", "The variant's cost price, e.g. 7.50 (no currency sign)."),
        Column("active", False, "bool", "true", "Whether the variant is on sale: true or false."),
        Column("product_active", False, "bool", "true", "Whether the product is on sale: true or false."),
        Column("track_inventory", False, "bool", "true", "Whether stock is counted for the product: true or false."),
    ],
    "suppliers": [
        Column("name", True, "text", "Northwind Textiles", "The supplier's name: unique, identifies the row."),
        Column("contact_name", False, "text", "Jane Smith", "The person to talk to."),
        Column("email", False, "text", "orders@northwind.example", "An email address for orders."),
        Column("phone", False, "text", "+44 20 7946 0000", "A phone number."),
        Column("address", False, "text", "1 Mill Lane, Leeds LS1 4AB", "The postal address."),
        Column("website", False, "text", "https://northwind.example", "The website, starting with https://."),
        Column("notes", False, "text", "Ships Mondays and Thursdays.", "Anything worth remembering."),
        Column("active", False, "bool", "true", "Whether you still buy from this supplier: true or false."),
    ],
    "supplier_items": [
        Column("supplier", True, "text", "Northwind Textiles", "The supplier's name, as it is in Stockroom."),
        Column("sku", True, "text", "TSHIRT-BLUE-M", "Our SKU of the variant the supplier sells."),
        Column("supplier_sku", False, "text", "NW-4411-M", "The supplier's own code for the item."),
        Column("unit_cost", False, "decimal", "6.80", "What the supplier charges per unit, e.g. 6.80."),
        Column("lead_time_days", False, "int", "7", "Days from ordering to delivery."),
        Column("minimum_order_quantity", False, "int", "12", "The smallest quantity the supplier accepts."),
        Column("preferred", False, "bool", "true",
               "Whether this is the variant's preferred supplier (one per variant): true or false."),
    ],
    "stock_counts": [
        Column("sku", True, "text", "TSHIRT-BLUE-M", "The variant's SKU."),
        Column("location", False, "text", "main", "The location's code; blank for the default location."),
        Column("counted", False, "int", "42",
               "The quantity counted on the shelf (0 or more). Give counted or change, not both."),
        Column("change", False, "int", "",
               "A signed change to the quantity, e.g. -3 or 5. Give counted or change, not both."),
        Column("reason", True, "text", "Quarterly count", "Why the stock changes; kept in the ledger."),
        Column("type", False, "text", "",
               "The movement type for a change (ADJUSTMENT, DAMAGE, RESTOCK, RETURN); default ADJUSTMENT."),
    ],
}

# The columns whose values identify a row: two rows with the same key in one file are a
# duplicate; a key found in the database makes the row an update.
IMPORT_KEYS: dict[str, tuple[str, ...]] = {
    "categories": ("name", "parent"),
    "products": ("sku",),
    "suppliers": ("name",),
    "supplier_items": ("supplier", "sku"),
    "stock_counts": ("sku", "location"),
}

CATEGORY_PATH_SEPARATOR = " / "

_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})
_PLAIN_INT = re.compile(r"[+-]?\d+")
_WHOLE_DECIMAL = re.compile(r"[+-]?\d+\.0+")
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:[,\u00a0\u202f ']\d{3})+(?:\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_EUROPEAN = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+,\d+")


def value_format(kind: str, value: Any) -> str:
    """The text of a cell: None → "", Decimal → plain "12.50", bool → "true"/"false",
    int → "12", dict/list in a json column → compact JSON. A dict in a text column is
    written as attributes ("size=M; colour=Blue")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _decimal_text(Decimal(repr(value)))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return attributes_format(value)
    return str(value)


def value_parse(kind: str, text: str) -> Any:
    """The value of a cell, or ValueError with a plain message saying what is wrong."""
    if kind not in KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    text = (text or "").strip()
    if kind == "text":
        return text
    if text == "":
        return None
    if kind == "bool":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f'"{_short(text)}" is not true or false (write true/false, yes/no or 1/0)')
    if kind == "int":
        if _PLAIN_INT.fullmatch(text):
            return int(text)
        if _WHOLE_DECIMAL.fullmatch(text):
            return int(Decimal(text))
        _number_refuse(text)
        raise ValueError(f'"{_short(text)}" is not a whole number')
    if kind == "decimal":
        if _PLAIN_DECIMAL.fullmatch(text):
            try:
                return Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
                pass
        _number_refuse(text)
        raise ValueError(f'"{_short(text)}" is not a number (write it like 12.50, without a currency sign)')
    # json
    try:
        return json.loads(text, parse_constant=_json_constant_refuse)
    except ValueError as exc:
        raise ValueError(f"is not valid JSON ({exc})") from None


def _number_refuse(text: str) -> None:
    """Raise a clear message for the usual ways a number is written for people."""
    if _EUROPEAN.fullmatch(text):
        raise ValueError(f'"{_short(text)}" uses "." as a thousands separator and a decimal comma; '
                         f'write it without separators and with a full stop, e.g. 1234.56')
    if _THOUSANDS.fullmatch(text):
        raise ValueError(f'"{_short(text)}" has a thousands separator; write the number without it, e.g. 1234')
    if _DECIMAL_COMMA.fullmatch(text):
        raise ValueError(f'"{_short(text)}" uses a decimal comma; write decimals with a full stop, e.g. 12.5')


def _json_constant_refuse(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} cannot be written as a number")
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- attributes ("size=M; colour=Blue") ------------------------------------

def attributes_format(attributes: dict[str, Any] | None) -> str:
    """A variant's attributes as "name=value; name=value", in the dict's order.
    ";", "=" and "\\" inside names or values are escaped with a backslash."""
    if not attributes:
        return ""
    parts = []
    for key, value in attributes.items():
        text = value_format("text", value) if not isinstance(value, str) else value
        parts.append(f"{_attr_escape(str(key).strip())}={_attr_escape(text.strip())}")
    return "; ".join(parts)


def attributes_parse(text: str) -> dict[str, str]:
    """The inverse of `attributes_format`: names and values stripped, order kept.
    ValueError names the pair that is wrong."""
    pairs: list[tuple[str, str | None]] = []
    current: list[str] = []
    key: str | None = None
    escaped = False
    for char in text or "":
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "=" and key is None:
            key = "".join(current)
            current = []
        elif char == ";":
            pairs.append((key, "".join(current)) if key is not None else ("".join(current), None))
            key, current = None, []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    pairs.append((key, "".join(current)) if key is not None else ("".join(current), None))

    result: dict[str, str] = {}
    for name, value in pairs:
        name = name.strip()
        if value is None:
            if name:
                raise ValueError(f'"{_short(name)}" has no "=": write attributes as name=value; name=value')
            continue
        if not name:
            raise ValueError(f'"={_short(value.strip())}" has no name: write attributes as name=value')
        if name in result:
            raise ValueError(f'attribute "{_short(name)}" is given twice')
        result[name] = value.strip()
    return result


def _attr_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace("=", "\\=")


# --- category paths ("Clothing / Shirts") -----------------------------------

def category_path_parse(text: str) -> list[str]:
    """The names along a category path, top first. ValueError on an empty part.

    Levels are separated by " / " as exports write them; a path without " / " may use a
    bare "/" ("Clothing/Shirts"). So a name that itself contains "/" is read correctly
    whenever the path has spaces around its separators."""
    text = (text or "").strip()
    if not text:
        return []
    separator = CATEGORY_PATH_SEPARATOR if CATEGORY_PATH_SEPARATOR in text else "/"
    names = [part.strip() for part in text.split(separator)]
    if any(not name or name.startswith("/") or name.endswith("/") for name in names):
        raise ValueError(f'"{_short(text)}" has an empty part; write paths like "Clothing / Shirts"')
    return names


def category_path_format(names: list[str]) -> str:
    return CATEGORY_PATH_SEPARATOR.join(names)
