"""Who may export what: `dataio.export_data` for any export; types that carry money (product
prices and costs, supplier costs, order totals) also need `inventory.view_prices`."""
from dataio.models import ExportType

PRICES_PERM = "inventory.view_prices"
EXPORT_PERM = "dataio.export_data"
VIEW_PERM = "dataio.view_exportjob"
# Types whose files carry prices or costs.
MONEY_TYPES = frozenset({
    ExportType.PRODUCTS, ExportType.SUPPLIER_ITEMS, ExportType.PURCHASE_ORDERS, ExportType.SALES_ORDERS,
})


def export_type_allowed(*, user, type: str) -> bool:
    """May `user` export this type? Money types need the permission to see prices."""
    if not (user and user.is_authenticated and user.has_perm(EXPORT_PERM)):
        return False
    return type not in MONEY_TYPES or user.has_perm(PRICES_PERM)


def export_types_for(*, user) -> list[tuple[str, str]]:
    """The (value, label) export types `user` may choose."""
    return [(value, label) for value, label in ExportType.choices if export_type_allowed(user=user, type=value)]
