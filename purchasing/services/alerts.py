"""The daily low-stock digest for managers."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone

from accounts.roles import ADMIN, MANAGER
from purchasing.selectors import stock_alert_list

DIGEST_MAX_ROWS = 200


def low_stock_digest_recipients() -> list[str]:
    """Email addresses of active Managers and Admins (superusers included)."""
    users = (
        get_user_model().objects.filter(is_active=True)
        .filter(Q(groups__name__in=[MANAGER, ADMIN]) | Q(is_superuser=True))
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    addresses: list[str] = []
    for email in users.values_list("email", flat=True):
        if email.lower() not in {a.lower() for a in addresses}:
            addresses.append(email)
    return addresses


def _digest_body(levels: list, total: int) -> str:
    critical = sum(1 for level in levels if level.is_critical)
    lines = [
        f"{total} stock level{'s are' if total != 1 else ' is'} at or below the low-stock threshold"
        + (f" ({critical} with nothing available)" if critical else "") + ".",
        "",
        f"{'Status':<9} {'SKU':<24} {'Location':<12} {'Available':>9} {'Threshold':>9} {'Suggested':>9}  Product",
    ]
    for level in levels:
        status = "CRITICAL" if level.is_critical else "low"
        lines.append(
            f"{status:<9} {level.variant.sku:<24} {level.location.code:<12} {level.available_qty:>9} "
            f"{level.low_stock_threshold:>9} {level.suggested_quantity:>9}  {level.variant.display_name}"
        )
    if total > len(levels):
        lines.append(f"... and {total - len(levels)} more.")
    lines += ["", "Review them and draft purchase orders on the Alerts page of Stockroom."]
    return "\n".join(lines) + "\n"


def low_stock_digest_send() -> int:
    """Email each Manager and Admin one list of the low and critical stock levels.

    Sends nothing when nothing is low. Returns how many emails were sent.
    """
    alerts = stock_alert_list()
    levels = list(alerts[:DIGEST_MAX_ROWS])
    if not levels:
        return 0
    total = len(levels) if len(levels) < DIGEST_MAX_ROWS else alerts.count()
    recipients = low_stock_digest_recipients()
    if not recipients:
        return 0
    subject = f"Low stock: {total} level{'s' if total != 1 else ''} to reorder ({timezone.localdate():%Y-%m-%d})"
    body = _digest_body(levels, total)
    messages = [
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
        for address in recipients
    ]
    return get_connection().send_messages(messages) or 0
