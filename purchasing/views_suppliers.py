"""The supplier page's purchase-order sections: its latest orders and its delivery
performance. suppliers.views renders them through settings.SUPPLIER_PAGE_CONTEXT."""
from purchasing.selectors import supplier_performance, supplier_purchase_orders

DETAIL_ORDERS = 50


def supplier_orders_context(request, supplier) -> dict:
    orders = supplier_purchase_orders(supplier=supplier)
    return {
        "orders": list(orders[:DETAIL_ORDERS]),
        "order_count": orders.count(),
        "performance": supplier_performance(supplier=supplier),
    }
