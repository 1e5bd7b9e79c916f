"""The filters each export type takes, and how each is checked and normalised."""
from collections.abc import Callable
from datetime import date
from typing import Any

from core.exceptions import NotFound, ValidationFailed
from dataio.models import ExportType
from inventory.models import Category, Location, MovementType
from orders.models import OrderStatus
from purchasing.models import PurchaseOrderStatus
from suppliers.models import Supplier

MAX_TEXT_FILTER = 200


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"Filter {name}: enter text.", field="filters", details={"filter": name})
    text = str(value).replace("\x00", "").strip()
    if len(text) > MAX_TEXT_FILTER:
        raise ValidationFailed(f"Filter {name}: at most {MAX_TEXT_FILTER} characters.", field="filters",
                               details={"filter": name})
    return text


def _id(name: str, value: Any) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip()) if value is not None else None
    except ValueError:
        number = None
    if number is None or number < 1 or number > 2**63 - 1:
        raise ValidationFailed(f"Filter {name}: {value!r} is not an id.", field="filters", details={"filter": name})
    return number


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ValidationFailed(f"Filter {name}: {value!r} is not true or false.", field="filters",
                           details={"filter": name})


def _date(name: str, value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValidationFailed(f"Filter {name}: {value!r} is not a date; write it as YYYY-MM-DD.",
                               field="filters", details={"filter": name}) from None


def _choice(choices: list[str]) -> Callable[[str, Any], str]:
    def parse(name: str, value: Any) -> str:
        text = str(value).strip()
        if text not in choices:
            raise ValidationFailed(f"Filter {name}: {value!r} is not one of {', '.join(choices)}.",
                                   field="filters", details={"filter": name})
        return text
    return parse


def _category(name: str, value: Any) -> int:
    pk = _id(name, value)
    if not Category.objects.filter(pk=pk).exists():
        raise NotFound(f"Filter {name}: unknown category {pk}.", field="filters", details={"filter": name})
    return pk


def _supplier(name: str, value: Any) -> int:
    pk = _id(name, value)
    if not Supplier.objects.filter(pk=pk).exists():
        raise NotFound(f"Filter {name}: unknown supplier {pk}.", field="filters", details={"filter": name})
    return pk


def _location(name: str, value: Any) -> str:
    code = _text(name, value)
    if not Location.objects.filter(code=code).exists():
        raise NotFound(f"Filter {name}: unknown location {code!r}.", field="filters",
                               details={"filter": name})
    return code


STOCK_STATUSES = ["in", "low", "out"]

# The filters each type takes, and how each is checked. Blank values are dropped.
FILTERS: dict[str, dict[str, Callable[[str, Any], Any]]] = {
    ExportType.PRODUCTS: {"category": _category, "active": _bool, "q": _text},
    ExportType.STOCK: {"location": _location, "category": _category, "status": _choice(STOCK_STATUSES), "q": _text},
    ExportType.CATEGORIES: {},
    ExportType.SUPPLIERS: {"active": _bool, "q": _text},
    ExportType.SUPPLIER_ITEMS: {"supplier": _supplier},
    ExportType.PURCHASE_ORDERS: {"status": _choice(list(PurchaseOrderStatus.values)), "supplier": _supplier,
                                 "date_from": _date, "date_to": _date},
    ExportType.SALES_ORDERS: {"status": _choice(list(OrderStatus.values)), "date_from": _date, "date_to": _date},
    ExportType.MOVEMENTS: {"type": _choice(list(MovementType.values)), "location": _location, "date_from": _date,
                           "date_to": _date, "sku": _text},
}


def export_filters_clean(*, type: str, filters: dict | None) -> dict:
    """The filters checked and normalised (JSON-ready); ValidationFailed names a bad one."""
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise ValidationFailed("Filters must be an object of name: value.", field="filters")
    allowed = FILTERS[type]
    clean: dict[str, Any] = {}
    for name, value in filters.items():
        if name not in allowed:
            known = ", ".join(allowed) or "none"
            raise ValidationFailed(f"Unknown filter {name!r} for {type} exports (filters: {known}).",
                                   field="filters", details={"filter": name})
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        value = allowed[name](name, value)
        if value != "":
            clean[name] = value
    # A range that ends before it starts is empty: it exports the header alone.
    return clean
