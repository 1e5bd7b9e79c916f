from django.utils.functional import SimpleLazyObject


BADGE_LIMIT = 100


def _count() -> int | str:
    """The alert count for the badge; "99+" past 99, so counting stops at the hundredth."""
    from inventory.selectors import stock_alert_count

    count = stock_alert_count(limit=BADGE_LIMIT)
    return count if count < BADGE_LIMIT else f"{BADGE_LIMIT - 1}+"


def low_stock(request):
    """`low_stock_count` for the navigation badge: counted only when a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("inventory.view_stocklevel"):
        return {}
    return {"low_stock_count": SimpleLazyObject(_count)}
