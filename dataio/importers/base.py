"""What every importer shares: the plan of each row and the cell parsing helpers.

An importer works in two steps over the whole file:

- `plan(rows)` parses and checks every row against the database as it is now (loading
  what it needs in a few set-based queries, never one per row) and decides each row's
  action: "create", "update", "unchanged" or "error" (with its messages). Validation,
  dry runs and the preview stop here.
- `apply(plans)` writes one batch of planned rows inside the caller's transaction and
  records an ImportChange for every record it creates or changes, so it can be undone.
"""
from decimal import Decimal
from typing import Any

from dataio.columns import IMPORT_COLUMNS, IMPORT_KEYS, attributes_format, value_format, value_parse

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
MONEY_MAX = Decimal("9999999999.99")


class RowErrors(Exception):
    """Rows the database refused while writing a batch: [(row, column, message)]."""

    def __init__(self, errors: list[tuple[int, str, str]]):
        super().__init__(f"{len(errors)} rows could not be written")
        self.errors = errors


class RowPlan:
    """One data row: its number as the user sees it, the action, the parsed values to
    show in the preview, the importer's own data for writing, and any errors."""

    __slots__ = ("row", "action", "values", "data", "errors", "invalid")

    def __init__(self, row: int, values: dict[str, Any] | None = None):
        self.row = row
        self.action = UNCHANGED
        self.values = values if values is not None else {}
        self.data: Any = None
        # An empty tuple until the first error (most rows have none: no list per row).
        self.errors: list[tuple[str, str]] | tuple = ()
        # The preview's columns that show a bad cell as typed (see preview_typed_mark).
        self.invalid: list[str] | tuple = ()

    def error(self, column: str, message: str) -> None:
        if not self.errors:
            self.errors = []
        self.errors.append((column, message))
        self.action = ERROR

    @property
    def ok(self) -> bool:
        return not self.errors


class Importer:
    type: str = ""

    def __init__(self, *, header: list[str], mode: str, job_id: int | None = None, user=None):
        self.header = header
        self.mode = mode
        self.job_id = job_id
        self.user = user
        self.columns = {column.name: column for column in IMPORT_COLUMNS[self.type]}
        self.index = {name: position for position, name in enumerate(header) if name in self.columns}
        self._caches: dict[str, dict[str, Any]] = {}

    # --- whole-file checks ------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self.index

    def duplicates(self, plans: list[RowPlan], keys: list[Any]) -> None:
        """Mark rows whose key repeats an earlier row's (None keys are not compared)."""
        names = IMPORT_KEYS[self.type]
        first: dict[Any, int] = {}
        for plan, key in zip(plans, keys):
            if key is None:
                continue
            seen = first.get(key)
            if seen is None:
                first[key] = plan.row
            else:
                label = " and ".join(names)
                plan.error(names[0], f"Duplicate: row {seen} has the same {label}.")

    # --- cells ------------------------------------------------------------

    def parse(self, name: str, text: str, plan: RowPlan) -> Any:
        """The cell's value by its column kind; a bad cell becomes the row's error and None.
        Results are cached by text (files repeat the same prices, flags and options)."""
        cache = self._caches.setdefault(name, {})
        try:
            return cache[text]
        except KeyError:
            pass
        try:
            value = value_parse(self.columns[name].kind, text)
        except ValueError as exc:
            plan.error(name, _sentence(str(exc)))
            return None
        cache[text] = value
        return value

    def money(self, name: str, text: str, plan: RowPlan) -> Decimal | None:
        cache = self._caches.setdefault(name + ":money", {})
        try:
            return cache[text]
        except KeyError:
            pass
        value = self.parse(name, text, plan)
        if value is None:
            return None
        if value < 0:
            plan.error(name, "Cannot be negative.")
            return None
        if value.as_tuple().exponent < -2:
            plan.error(name, f"{value} has more than 2 decimal places.")
            return None
        if value > MONEY_MAX:
            plan.error(name, f"{value} is too large.")
            return None
        value = value.quantize(Decimal("0.01"))
        cache[text] = value
        return value

    def text(self, name: str, text: str, plan: RowPlan, *, max_length: int | None = None, required: bool = False) -> str:
        if required and not text:
            plan.error(name, "Required: this cell is empty.")
        elif max_length is not None and len(text) > max_length:
            plan.error(name, f"Too long: at most {max_length} characters ({len(text)} given).")
        return text

    def count(self, name: str, text: str, plan: RowPlan, *, minimum: int = 0) -> int | None:
        value = self.parse(name, text, plan)
        if value is None:
            return None
        if value < minimum:
            plan.error(name, f"Must be {minimum} or more.")
            return None
        if value > 2_147_483_647:
            plan.error(name, "Too large.")
            return None
        return value

    # --- the two steps ----------------------------------------------------

    def plan(self, rows: list[tuple[int, list[str]]]) -> list[RowPlan]:
        raise NotImplementedError

    def apply(self, plans: list[RowPlan]) -> None:
        raise NotImplementedError


def preview_values(columns: dict, values: dict[str, Any]) -> dict[str, str]:
    """Parsed values as text for the preview, in the columns' order."""
    result = {}
    for name, column in columns.items():
        if name in values:
            value = values[name]
            result[name] = attributes_format(value) if isinstance(value, dict) else value_format(column.kind, value)
    return result


def preview_typed_mark(importer: Importer, plans: list[RowPlan], rows: list[tuple[int, list[str]]],
                       *, limit: int) -> None:
    """In the preview (the first `limit` rows), a row's bad cells show what the file holds,
    as typed, and are listed in `plan.invalid`, instead of the blank a value that did not
    parse would leave. Cells of columns the importer does not read are left alone."""
    cells_of = {number: cells for number, cells in rows[:limit]}
    for plan in plans[:limit]:
        if not plan.errors:
            continue
        cells = cells_of.get(plan.row)
        if cells is None:
            continue
        invalid = []
        for column, _message in plan.errors:
            position = importer.index.get(column)
            if position is None or position >= len(cells) or column in invalid:
                continue
            if plan.values is None:
                plan.values = {}
            plan.values[column] = cells[position]
            invalid.append(column)
        plan.invalid = invalid


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return "Not a valid value."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."
