"""Helpers for CSV files that people open in spreadsheets.

A spreadsheet evaluates a cell whose text starts with = + - @ tab or CR as a formula. Every
CSV the project writes (exports, the errors of an import, the movement history) neutralises
such a text cell with a leading apostrophe, and an import reads it back without it, so an
exported file imports unchanged. The rule lives here once:

- `cell_needs_neutralising`: text (never a number, a date or None) starting with one of
  those characters; a negative number stays a number;
- `cell_neutralise`: the apostrophe added to such a cell, anything else unchanged;
- `cell_restore`: the inverse, for a CSV cell read back ("'=1+2" → "=1+2"); any other
  apostrophe ("'quoted'") is kept.

Writers that check a whole column or a line of bytes at once use `FORMULA_STARTS` and
`FORMULA_START_BYTES`, the same characters.
"""
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_STARTS = frozenset(FORMULA_PREFIXES)
FORMULA_START_BYTES = frozenset(start.encode() for start in FORMULA_PREFIXES)


def cell_needs_neutralising(value: Any) -> bool:
    """Whether a spreadsheet would read this cell as a formula: text starting with
    = + - @ tab or CR."""
    return isinstance(value, str) and value[:1] in FORMULA_STARTS


def cell_neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe, so it
    shows as text; anything else (other text, numbers, dates, None) comes back unchanged."""
    if cell_needs_neutralising(value):
        return "'" + value
    return value


def cell_restore(text: str) -> str:
    """The inverse of `cell_neutralise` for a CSV cell read back: "'=1+2" → "=1+2". Text
    with an apostrophe before anything else is left alone."""
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text
