"""Helpers for CSV files that people open in spreadsheets."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Neutralise spreadsheet formulas: a text cell starting with = + - @ tab or CR gets a
    leading apostrophe so a spreadsheet shows it as text instead of evaluating it.

    Anything that is not text (numbers, dates, None) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
