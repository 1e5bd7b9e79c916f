"""The stock services against the real database: every movement type, refusals that write
nothing, idempotent retries, compare-and-set, counts and transfers."""
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from core.exceptions import InsufficientStock, StockMismatch, ValidationFailed
from inventory.models import MovementType, StockLevel, StockMovement
from inventory.services import stock_adjust, stock_count, stock_level_ensure, stock_transfer
from tests import factories

pytestmark = pytest.mark.django_db


def _reserve(level: StockLevel, reserved: int) -> None:
    """Test set-up only: put units on hold directly.

    Reservations get their own services in a later issue; until then the only way to have
    reserved units is to write the column. `reserved` is not part of the ledger, so this
    does not break the on_hand invariant.
    """
    StockLevel.objects.filter(pk=level.pk).update(reserved=reserved)
    level.refresh_from_db()


def _state(level: StockLevel) -> tuple[int, int, int]:
    """What must not change when a service refuses: on_hand, movements, levels."""
    level.refresh_from_db()
    return level.on_hand, StockMovement.objects.count(), StockLevel.objects.count()


# --- stock_adjust: every movement type ---------------------------------------

@pytest.mark.smoke
@pytest.mark.parametrize(
    ("type", "quantity"),
    [
        ("SALE", -3),
        ("REFUND", 2),
        ("RESTOCK", 5),
        ("ADJUSTMENT", -4),
        ("ADJUSTMENT", 4),
        ("DAMAGE", -1),
        ("RETURN", 3),
        ("COUNT", -2),
        ("COUNT", 6),
    ],
)
def test_stock_adjust_each_type_writes_one_movement(stocked, staff_user, type, quantity):
    level = stocked(20)
    movements_before = StockMovement.objects.count()

    change = stock_adjust(
        variant=level.variant, location=level.location, quantity=quantity, type=type,
        reason="  Shelf check  ", notes="aisle 4", user=staff_user, reference="DOC-1",
    )

    level.refresh_from_db()
    assert level.on_hand == 20 + quantity
    assert StockMovement.objects.count() == movements_before + 1
    movement = StockMovement.objects.get(pk=change.movement.pk)
    assert movement.type == type
    assert movement.delta == quantity
    assert movement.quantity_before == 20
    assert movement.quantity_after == 20 + quantity
    assert movement.level_id == level.pk
    assert movement.variant_id == level.variant_id
    assert movement.location_id == level.location_id
    assert movement.user == staff_user
    assert movement.reason == "Shelf check"
    assert movement.notes == "aisle 4"
    assert movement.reference == "DOC-1"
    assert movement.idempotency_key is None
    assert movement.transfer_id is None
    assert change.level.pk == level.pk
    assert change.level.on_hand == 20 + quantity
    assert change.replayed is False


def test_stock_adjust_accepts_the_enum_member_as_type(stocked):
    level = stocked(5)

    change = stock_adjust(variant=level.variant, location=level.location, quantity=-2, type=MovementType.SALE,
                          reason="Till")

    assert change.movement.type == "SALE"
    level.refresh_from_db()
    assert level.on_hand == 3


def test_stock_adjust_anonymous_user_is_stored_as_none(stocked):
    level = stocked(5)

    change = stock_adjust(variant=level.variant, location=level.location, quantity=1, type="RESTOCK",
                          reason="Delivery", user=AnonymousUser())

    assert StockMovement.objects.get(pk=change.movement.pk).user is None


def test_stock_adjust_uses_the_default_location_when_omitted(stocked, default_location):
    level = stocked(5)

    change = stock_adjust(variant=level.variant, quantity=4, type="RESTOCK", reason="Delivery")

    assert change.level.location == default_location
    level.refresh_from_db()
    assert level.on_hand == 9


@pytest.mark.smoke
def test_stock_adjust_creates_the_level_when_missing(variant, default_location):
    assert not StockLevel.objects.filter(variant=variant).exists()

    change = stock_adjust(variant=variant, location=default_location, quantity=7, type="RESTOCK", reason="First delivery")

    level = StockLevel.objects.get(variant=variant, location=default_location)
    assert level.on_hand == 7
    assert level.reserved == 0
    assert change.level.pk == level.pk
    assert list(level.movements.values_list("type", "quantity_before", "delta", "quantity_after")) == [
        ("RESTOCK", 0, 7, 7)
    ]


def test_stock_adjust_updates_updated_at(stocked):
    level = stocked(5)
    StockLevel.objects.filter(pk=level.pk).update(updated_at=level.updated_at.replace(year=2000))

    stock_adjust(variant=level.variant, location=level.location, quantity=1, type="RESTOCK", reason="Delivery")

    level.refresh_from_db()
    assert level.updated_at.year > 2000


# --- stock_adjust: refused input writes nothing ------------------------------

@pytest.mark.smoke
@pytest.mark.parametrize(
    ("type", "quantity"),
    [("SALE", 5), ("DAMAGE", 1), ("RESTOCK", -5), ("REFUND", -1), ("RETURN", -2)],
)
def test_stock_adjust_wrong_sign_refused(stocked, type, quantity):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=quantity, type=type, reason="Oops")

    assert excinfo.value.field == "quantity"
    assert "quantity" in excinfo.value.as_dict()
    assert excinfo.value.status_code == 400
    assert _state(level) == before


@pytest.mark.parametrize("type", ["SALE", "RESTOCK", "ADJUSTMENT", "COUNT"])
def test_stock_adjust_zero_quantity_refused(stocked, type):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=0, type=type, reason="Nothing")

    assert excinfo.value.field == "quantity"
    assert _state(level) == before


@pytest.mark.parametrize("quantity", ["5", 1.5, True, None])
def test_stock_adjust_non_integer_quantity_refused(stocked, quantity):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=quantity, type="RESTOCK", reason="x")

    assert excinfo.value.field == "quantity"
    assert _state(level) == before


@pytest.mark.smoke
@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 201])
def test_stock_adjust_missing_blank_or_long_reason_refused(stocked, reason):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=1, type="RESTOCK", reason=reason)

    assert excinfo.value.field == "reason"
    assert _state(level) == before


@pytest.mark.parametrize("type", ["TRANSFER_OUT", "TRANSFER_IN"])
def test_stock_adjust_transfer_types_refused(stocked, type):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=1 if type == "TRANSFER_IN" else -1,
                     type=type, reason="Move")

    assert excinfo.value.field == "type"
    assert _state(level) == before


@pytest.mark.parametrize("type", ["", "sale", "THEFT", None])
def test_stock_adjust_unknown_type_refused(stocked, type):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=-1, type=type, reason="x")

    assert excinfo.value.field == "type"
    assert _state(level) == before


def test_stock_adjust_inactive_location_refused(stocked, other_location):
    level = stocked(10, location=other_location)
    other_location.active = False
    other_location.save()
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=level.variant, location=other_location, quantity=-1, type="SALE", reason="Till")

    assert excinfo.value.field == "location"
    assert _state(level) == before


def test_stock_adjust_without_a_default_location_refused(variant):
    factories.LocationFactory(code="side")

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=variant, quantity=1, type="RESTOCK", reason="Delivery")

    assert excinfo.value.field == "location"
    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


# --- negative refusal --------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.parametrize("type", ["SALE", "DAMAGE", "ADJUSTMENT", "COUNT"])
def test_stock_adjust_more_than_available_refused(stocked, type):
    level = stocked(5)
    before = _state(level)

    with pytest.raises(InsufficientStock) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=-6, type=type, reason="Too many")

    error = excinfo.value
    assert error.status_code == 409
    assert error.details["requested"] == 6
    assert error.details["available"] == 5
    assert error.details["sku"] == level.variant.sku
    assert error.details["location"] == level.location.code
    assert error.as_dict()["requested"] == 6
    assert _state(level) == before


def test_stock_adjust_takes_the_last_unit(stocked):
    level = stocked(5)

    change = stock_adjust(variant=level.variant, location=level.location, quantity=-5, type="SALE", reason="Till")

    level.refresh_from_db()
    assert level.on_hand == 0
    assert change.movement.quantity_after == 0


def test_stock_adjust_from_a_missing_level_refused_and_creates_nothing(variant, default_location):
    with pytest.raises(InsufficientStock) as excinfo:
        stock_adjust(variant=variant, location=default_location, quantity=-1, type="SALE", reason="Till")

    assert excinfo.value.details["available"] == 0
    assert not StockLevel.objects.filter(variant=variant).exists()
    assert not StockMovement.objects.exists()


def test_stock_adjust_reserved_units_cannot_be_adjusted_away(stocked):
    level = stocked(10)
    _reserve(level, 4)
    before = _state(level)

    with pytest.raises(InsufficientStock) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=-7, type="DAMAGE", reason="Broken")

    assert excinfo.value.details["requested"] == 7
    assert excinfo.value.details["available"] == 6
    assert excinfo.value.details["reserved"] == 4
    assert _state(level) == before

    stock_adjust(variant=level.variant, location=level.location, quantity=-6, type="DAMAGE", reason="Broken")

    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (4, 4)


# --- idempotency -------------------------------------------------------------

@pytest.mark.smoke
def test_stock_adjust_same_key_twice_applies_once(stocked):
    level = stocked(10)
    movements_before = StockMovement.objects.count()
    kwargs = dict(variant=level.variant, location=level.location, quantity=-3, type="SALE", reason="Order 17",
                  idempotency_key="order-17")

    first = stock_adjust(**kwargs)
    second = stock_adjust(**kwargs)

    assert first.replayed is False
    assert second.replayed is True
    assert second.movement.pk == first.movement.pk
    assert second.level.on_hand == 7
    assert StockMovement.objects.count() == movements_before + 1
    assert StockMovement.objects.filter(idempotency_key="order-17").count() == 1
    level.refresh_from_db()
    assert level.on_hand == 7


def test_stock_adjust_retry_is_answered_even_when_it_could_no_longer_be_made(stocked):
    level = stocked(1)
    kwargs = dict(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="Order 18",
                  idempotency_key="order-18")
    first = stock_adjust(**kwargs)

    second = stock_adjust(**kwargs)

    assert second.replayed is True
    assert second.movement.pk == first.movement.pk
    level.refresh_from_db()
    assert level.on_hand == 0


def test_stock_adjust_blank_key_is_no_key(stocked):
    level = stocked(10)

    stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="a", idempotency_key="")
    stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="a", idempotency_key="")

    level.refresh_from_db()
    assert level.on_hand == 8


def test_stock_adjust_overlong_key_refused(stocked):
    level = stocked(10)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="a",
                     idempotency_key="k" * 201)

    assert excinfo.value.field == "idempotency_key"


@pytest.mark.parametrize(
    "change",
    [
        {"variant": "other"},
        {"location": "other"},
        {"quantity": -2},
        {"type": "DAMAGE"},
    ],
    ids=["other-sku", "other-location", "other-quantity", "other-type"],
)
def test_stock_adjust_key_reused_for_a_different_change_refused(stocked, other_location, change):
    level = stocked(10)
    other_variant_level = stocked(10)
    stocked(10, location=other_location, variant=level.variant)
    stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="a",
                 idempotency_key="key-1")
    kwargs = dict(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="a",
                  idempotency_key="key-1")
    if change.get("variant") == "other":
        kwargs["variant"] = other_variant_level.variant
    if change.get("location") == "other":
        kwargs["location"] = other_location
    kwargs.update({k: v for k, v in change.items() if k in ("quantity", "type")})
    on_hands = dict(StockLevel.objects.values_list("pk", "on_hand"))
    movements_before = StockMovement.objects.count()

    with pytest.raises(StockMismatch) as excinfo:
        stock_adjust(**kwargs)

    assert excinfo.value.field == "idempotency_key"
    assert dict(StockLevel.objects.values_list("pk", "on_hand")) == on_hands
    assert StockMovement.objects.count() == movements_before


def test_stock_count_key_reused_from_an_adjustment_refused(stocked):
    level = stocked(10)
    stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="a",
                 idempotency_key="key-2")

    with pytest.raises(StockMismatch):
        stock_count(variant=level.variant, location=level.location, counted=9, reason="Count", idempotency_key="key-2")

    level.refresh_from_db()
    assert level.on_hand == 9
    assert level.movements.count() == 2


def test_stock_transfer_key_reused_from_an_adjustment_refused(stocked, other_location):
    level = stocked(10)
    stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="a",
                 idempotency_key="key-3")
    movements_before = StockMovement.objects.count()

    with pytest.raises(StockMismatch) as excinfo:
        stock_transfer(variant=level.variant, from_location=level.location, to_location=other_location, quantity=1,
                       reason="Move", idempotency_key="key-3")

    assert excinfo.value.field == "idempotency_key"
    assert StockMovement.objects.count() == movements_before


# --- compare-and-set ---------------------------------------------------------

def test_stock_adjust_expected_on_hand_matches(stocked):
    level = stocked(10)

    change = stock_adjust(variant=level.variant, location=level.location, quantity=-2, type="DAMAGE", reason="Broken",
                          expected_on_hand=10)

    assert change.movement.quantity_before == 10
    level.refresh_from_db()
    assert level.on_hand == 8


@pytest.mark.smoke
def test_stock_adjust_expected_on_hand_mismatch_refused(stocked):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(StockMismatch) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=-2, type="DAMAGE", reason="Broken",
                     expected_on_hand=12)

    assert excinfo.value.status_code == 409
    assert excinfo.value.details["current_on_hand"] == 10
    assert excinfo.value.details["expected_on_hand"] == 12
    assert _state(level) == before


def test_stock_adjust_expected_on_hand_must_be_an_integer(stocked):
    level = stocked(10)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(variant=level.variant, location=level.location, quantity=-2, type="DAMAGE", reason="Broken",
                     expected_on_hand="10")

    assert excinfo.value.field == "expected_on_hand"


# --- stock_count -------------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.parametrize(("counted", "delta"), [(7, -3), (15, 5), (0, -10)])
def test_stock_count_writes_the_difference_as_count(stocked, staff_user, counted, delta):
    level = stocked(10)
    movements_before = StockMovement.objects.count()

    change = stock_count(variant=level.variant, location=level.location, counted=counted, reason="Cycle count",
                         user=staff_user)

    level.refresh_from_db()
    assert level.on_hand == counted
    assert StockMovement.objects.count() == movements_before + 1
    movement = StockMovement.objects.get(pk=change.movement.pk)
    assert (movement.type, movement.quantity_before, movement.delta, movement.quantity_after) == (
        "COUNT", 10, delta, counted
    )
    assert movement.user == staff_user
    assert movement.reason == "Cycle count"
    assert change.level.on_hand == counted


def test_stock_count_equal_writes_a_zero_count(stocked):
    level = stocked(10)

    change = stock_count(variant=level.variant, location=level.location, counted=10, reason="Cycle count")

    level.refresh_from_db()
    assert level.on_hand == 10
    assert (change.movement.type, change.movement.delta, change.movement.quantity_after) == ("COUNT", 0, 10)
    assert level.movements.count() == 2


def test_stock_count_creates_the_level_when_missing(variant, default_location):
    stock_count(variant=variant, location=default_location, counted=4, reason="Found on shelf")

    level = StockLevel.objects.get(variant=variant, location=default_location)
    assert level.on_hand == 4
    assert list(level.movements.values_list("type", "delta")) == [("COUNT", 4)]


def test_stock_count_below_reserved_refused(stocked):
    level = stocked(10)
    _reserve(level, 6)
    before = _state(level)

    with pytest.raises(InsufficientStock) as excinfo:
        stock_count(variant=level.variant, location=level.location, counted=5, reason="Cycle count")

    assert excinfo.value.details["reserved"] == 6
    assert excinfo.value.details["counted"] == 5
    assert _state(level) == before

    stock_count(variant=level.variant, location=level.location, counted=6, reason="Cycle count")

    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (6, 6)


@pytest.mark.parametrize("counted", [-1, "3", None])
def test_stock_count_negative_or_non_integer_refused(stocked, counted):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_count(variant=level.variant, location=level.location, counted=counted, reason="Cycle count")

    assert excinfo.value.field == "counted"
    assert _state(level) == before


def test_stock_count_requires_a_reason(stocked):
    level = stocked(10)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_count(variant=level.variant, location=level.location, counted=3, reason=" ")

    assert excinfo.value.field == "reason"


def test_stock_count_expected_on_hand_matches(stocked):
    level = stocked(10)

    stock_count(variant=level.variant, location=level.location, counted=8, reason="Cycle count", expected_on_hand=10)

    level.refresh_from_db()
    assert level.on_hand == 8


@pytest.mark.smoke
def test_stock_count_expected_on_hand_mismatch_refused(stocked):
    level = stocked(10)
    stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="Sold meanwhile")
    before = _state(level)

    with pytest.raises(StockMismatch) as excinfo:
        stock_count(variant=level.variant, location=level.location, counted=4, reason="Cycle count", expected_on_hand=10)

    assert excinfo.value.details["current_on_hand"] == 9
    assert excinfo.value.details["expected_on_hand"] == 10
    assert _state(level) == before


def test_stock_count_same_key_twice_applies_once(stocked):
    level = stocked(10)
    kwargs = dict(variant=level.variant, location=level.location, counted=6, reason="Count", idempotency_key="count-1")

    first = stock_count(**kwargs)
    stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="Sold")
    second = stock_count(**kwargs)

    assert second.replayed is True
    assert second.movement.pk == first.movement.pk
    level.refresh_from_db()
    assert level.on_hand == 5
    assert level.movements.filter(type="COUNT").count() == 1


def test_stock_count_key_reused_with_another_count_refused(stocked):
    level = stocked(10)
    stock_count(variant=level.variant, location=level.location, counted=6, reason="Count", idempotency_key="count-2")

    with pytest.raises(StockMismatch):
        stock_count(variant=level.variant, location=level.location, counted=7, reason="Count", idempotency_key="count-2")

    level.refresh_from_db()
    assert level.on_hand == 6


def test_stock_count_inactive_location_refused(stocked, other_location):
    level = stocked(10, location=other_location)
    other_location.active = False
    other_location.save()
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_count(variant=level.variant, location=other_location, counted=3, reason="Count")

    assert excinfo.value.field == "location"
    assert _state(level) == before


# --- stock_transfer ----------------------------------------------------------

def _total(variant) -> int:
    return StockLevel.objects.filter(variant=variant).aggregate(total=Sum("on_hand"))["total"] or 0


@pytest.mark.smoke
def test_stock_transfer_moves_units_and_creates_the_destination(stocked, other_location, manager_user):
    source = stocked(10)
    assert not StockLevel.objects.filter(variant=source.variant, location=other_location).exists()

    result = stock_transfer(variant=source.variant, from_location=source.location, to_location=other_location,
                            quantity=4, reason="Fill the shop", notes="trolley 2", user=manager_user)

    source.refresh_from_db()
    target = StockLevel.objects.get(variant=source.variant, location=other_location)
    assert (source.on_hand, target.on_hand) == (6, 4)
    assert _total(source.variant) == 10
    out_movement = StockMovement.objects.get(pk=result.out_movement.pk)
    in_movement = StockMovement.objects.get(pk=result.in_movement.pk)
    assert (out_movement.type, out_movement.level_id, out_movement.delta, out_movement.quantity_before,
            out_movement.quantity_after) == ("TRANSFER_OUT", source.pk, -4, 10, 6)
    assert (in_movement.type, in_movement.level_id, in_movement.delta, in_movement.quantity_before,
            in_movement.quantity_after) == ("TRANSFER_IN", target.pk, 4, 0, 4)
    assert out_movement.transfer_id is not None
    assert out_movement.transfer_id == in_movement.transfer_id
    assert out_movement.reference == other_location.code
    assert in_movement.reference == source.location.code
    for movement in (out_movement, in_movement):
        assert movement.user == manager_user
        assert movement.reason == "Fill the shop"
        assert movement.notes == "trolley 2"
    assert StockMovement.objects.filter(transfer_id=out_movement.transfer_id).count() == 2
    assert (result.from_level.on_hand, result.to_level.on_hand) == (6, 4)
    assert result.replayed is False


def test_stock_transfer_back_and_forth_conserves_units(stocked, default_location, other_location):
    third = factories.LocationFactory(code="back")
    variant = stocked(30).variant
    stocked(5, location=other_location, variant=variant)
    moves = [
        (default_location, other_location, 7),
        (other_location, third, 12),
        (third, default_location, 3),
        (default_location, third, 20),
        (third, other_location, 29),
        (other_location, default_location, 1),
    ]

    for source, target, quantity in moves:
        stock_transfer(variant=variant, from_location=source, to_location=target, quantity=quantity, reason="Shuffle")
        assert _total(variant) == 35

    on_hand = dict(StockLevel.objects.filter(variant=variant).values_list("location__code", "on_hand"))
    assert on_hand == {"main": 7, "store": 28, "back": 0}
    transfers = StockMovement.objects.filter(variant=variant, transfer_id__isnull=False)
    assert transfers.count() == 2 * len(moves)
    assert transfers.aggregate(total=Sum("delta"))["total"] == 0


def test_stock_transfer_to_the_same_location_refused(stocked):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_transfer(variant=level.variant, from_location=level.location, to_location=level.location, quantity=1,
                       reason="Nowhere")

    assert excinfo.value.field == "to_location"
    assert _state(level) == before


@pytest.mark.smoke
def test_stock_transfer_more_than_available_refused(stocked, other_location):
    level = stocked(10)
    _reserve(level, 3)
    before = _state(level)

    with pytest.raises(InsufficientStock) as excinfo:
        stock_transfer(variant=level.variant, from_location=level.location, to_location=other_location, quantity=8,
                       reason="Too many")

    assert excinfo.value.details["requested"] == 8
    assert excinfo.value.details["available"] == 7
    assert _state(level) == before
    assert not StockLevel.objects.filter(location=other_location).exists()


def test_stock_transfer_from_a_missing_level_refused(variant, default_location, other_location):
    with pytest.raises(InsufficientStock) as excinfo:
        stock_transfer(variant=variant, from_location=default_location, to_location=other_location, quantity=1,
                       reason="Move")

    assert excinfo.value.details["available"] == 0
    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("quantity", [0, -3, "2", 2.0])
def test_stock_transfer_non_positive_or_non_integer_quantity_refused(stocked, other_location, quantity):
    level = stocked(10)
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_transfer(variant=level.variant, from_location=level.location, to_location=other_location,
                       quantity=quantity, reason="Move")

    assert excinfo.value.field == "quantity"
    assert _state(level) == before


def test_stock_transfer_requires_a_reason(stocked, other_location):
    level = stocked(10)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_transfer(variant=level.variant, from_location=level.location, to_location=other_location, quantity=1,
                       reason="")

    assert excinfo.value.field == "reason"


@pytest.mark.parametrize("inactive", ["from_location", "to_location"])
def test_stock_transfer_inactive_location_refused(stocked, default_location, other_location, inactive):
    level = stocked(10)
    stocked(5, location=other_location, variant=level.variant)
    location = default_location if inactive == "from_location" else other_location
    location.active = False
    location.save()
    before = _state(level)

    with pytest.raises(ValidationFailed) as excinfo:
        stock_transfer(variant=level.variant, from_location=default_location, to_location=other_location, quantity=1,
                       reason="Move")

    assert excinfo.value.field == inactive
    assert _state(level) == before
    assert _total(level.variant) == 15


def test_stock_transfer_same_key_twice_applies_once(stocked, other_location):
    level = stocked(10)
    kwargs = dict(variant=level.variant, from_location=level.location, to_location=other_location, quantity=3,
                  reason="Move", idempotency_key="move-1")

    first = stock_transfer(**kwargs)
    second = stock_transfer(**kwargs)

    assert second.replayed is True
    assert (second.out_movement.pk, second.in_movement.pk) == (first.out_movement.pk, first.in_movement.pk)
    assert StockMovement.objects.filter(transfer_id__isnull=False).count() == 2
    level.refresh_from_db()
    assert level.on_hand == 7
    assert _total(level.variant) == 10


@pytest.mark.parametrize("change", ["quantity", "direction"])
def test_stock_transfer_key_reused_for_a_different_transfer_refused(stocked, default_location, other_location, change):
    level = stocked(10)
    stocked(10, location=other_location, variant=level.variant)
    stock_transfer(variant=level.variant, from_location=default_location, to_location=other_location, quantity=3,
                   reason="Move", idempotency_key="move-2")
    kwargs = dict(variant=level.variant, from_location=default_location, to_location=other_location, quantity=3,
                  reason="Move", idempotency_key="move-2")
    if change == "quantity":
        kwargs["quantity"] = 4
    else:
        kwargs.update(from_location=other_location, to_location=default_location)
    movements_before = StockMovement.objects.count()

    with pytest.raises(StockMismatch):
        stock_transfer(**kwargs)

    assert StockMovement.objects.count() == movements_before
    assert dict(StockLevel.objects.values_list("location__code", "on_hand")) == {"main": 7, "store": 13}


# --- stock_level_ensure ------------------------------------------------------

def test_stock_level_ensure_creates_once(variant, default_location):
    first = stock_level_ensure(variant=variant, location=default_location)
    second = stock_level_ensure(variant=variant, location=default_location)

    assert first.pk == second.pk
    assert (first.on_hand, first.reserved) == (0, 0)
    assert StockLevel.objects.filter(variant=variant).count() == 1
    assert not StockMovement.objects.exists()


# --- the database refuses what the services refuse ---------------------------
# Direct .update()/.create() calls below bypass the services on purpose: they show the
# CHECK constraints hold even against code that forgets the rules.

@pytest.mark.smoke
def test_stocklevel_check_refuses_negative_on_hand(stocked):
    level = stocked(3)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") - 4)

    level.refresh_from_db()
    assert level.on_hand == 3


@pytest.mark.smoke
def test_stocklevel_check_refuses_reserved_above_on_hand(stocked):
    level = stocked(3)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(reserved=4)

    level.refresh_from_db()
    assert level.reserved == 0


def test_stocklevel_check_refuses_negative_reserved(stocked):
    level = stocked(3)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(reserved=-1)


def test_stocklevel_check_refuses_on_hand_below_reserved(stocked):
    level = stocked(5)
    _reserve(level, 4)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(on_hand=3)


def test_stockmovement_check_refuses_after_not_before_plus_delta(stocked):
    level = stocked(5)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(level=level, variant=level.variant, location=level.location, type="SALE",
                                     delta=-1, quantity_before=5, quantity_after=5, reason="Bad row")


def test_stockmovement_unique_idempotency_key(stocked):
    level = stocked(5)
    stock_adjust(variant=level.variant, location=level.location, quantity=1, type="RESTOCK", reason="a",
                 idempotency_key="dup")

    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(level=level, variant=level.variant, location=level.location, type="RESTOCK",
                                     delta=1, quantity_before=6, quantity_after=7, reason="Dup",
                                     idempotency_key="dup")
