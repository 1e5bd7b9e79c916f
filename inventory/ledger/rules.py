"""The one rule set for stock changes: which movement types raise or lower stock, how large a
change may be, and what every change must carry. Every posting is checked against it before
anything is locked (inventory.ledger.post)."""
from core.exceptions import ValidationFailed
from inventory.models import MovementType

DECREASING_TYPES = {MovementType.SALE, MovementType.DAMAGE, MovementType.TRANSFER_OUT}
INCREASING_TYPES = {MovementType.RESTOCK, MovementType.REFUND, MovementType.RETURN, MovementType.TRANSFER_IN}
TRANSFER_TYPES = {MovementType.TRANSFER_OUT, MovementType.TRANSFER_IN}
ADJUSTABLE_TYPES = [t for t in MovementType if t not in TRANSFER_TYPES]

MAX_QUANTITY = 1_000_000_000  # one change, or one counted quantity
MAX_ON_HAND = 2_147_483_647  # what a level's counter holds (a 32-bit integer column)
MAX_REASON = 200
MAX_REFERENCE = 100
MAX_KEY = 200


def whole_number(value, *, field: str, label: str = "") -> int:
    """`value` when it is an int (not a bool); otherwise a ValidationFailed naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"The {label} must be a whole number." if label else "Must be a whole number.",
                               field=field)
    return value


def reason_clean(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("A reason is required.", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"The reason must be at most {MAX_REASON} characters.", field="reason")
    return reason


def idempotency_key_clean(key: str | None) -> str | None:
    if key is None or key == "":
        return None
    if len(key) > MAX_KEY:
        raise ValidationFailed(f"The idempotency key must be at most {MAX_KEY} characters.", field="idempotency_key")
    return key


def change_problem(*, type: str, delta, noun: str = "quantity") -> tuple[str, str] | None:
    """(field, message) for what is wrong with a signed change of `type`, or None.

    `noun` names the quantity the way the caller's user knows it ("quantity", "change")."""
    if type not in MovementType.values:
        return "type", f"Unknown movement type {type!r}."
    if isinstance(delta, bool) or not isinstance(delta, int):
        return "quantity", f"The {noun} must be a whole number."
    if delta == 0:
        return "quantity", f"The {noun} must not be zero."
    if abs(delta) > MAX_QUANTITY:
        return "quantity", f"The {noun} must be between -{MAX_QUANTITY:,} and {MAX_QUANTITY:,}."
    if type in DECREASING_TYPES and delta > 0:
        return "quantity", f"A {type} lowers stock: the {noun} must be negative."
    if type in INCREASING_TYPES and delta < 0:
        return "quantity", f"A {type} raises stock: the {noun} must be positive."
    return None


def counted_problem(counted) -> tuple[str, str] | None:
    if isinstance(counted, bool) or not isinstance(counted, int):
        return "counted", "The counted quantity must be a whole number."
    if counted < 0:
        return "counted", "A counted quantity cannot be negative."
    if counted > MAX_QUANTITY:
        return "counted", f"The counted quantity must be at most {MAX_QUANTITY:,}."
    return None


def reason_problem(reason: str | None) -> tuple[str, str] | None:
    try:
        reason_clean(reason)
    except ValidationFailed as exc:
        return "reason", exc.message
    return None
