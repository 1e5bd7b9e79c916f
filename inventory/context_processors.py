from django.utils.functional import SimpleLazyObject


def _count() -> int:
    from inventory.selectors import stock_alert_count

    return stock_alert_count()


def low_stock(request):
    """`low_stock_count` for the navigation badge: counted only when a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("inventory.view_stocklevel"):
        return {}
    return {"low_stock_count": SimpleLazyObject(_count)}
