import pytest

from inventory.models import StockLevel, StockMovement
from tests import factories
from tests.api.helpers import MOVEMENT_KEYS, STOCK_ROW_KEYS, ledger_snapshot

URL = "/api/v1/stock/count/"


def payload(sku: str, **overrides) -> dict:
    body = {"sku": sku, "counted": 7, "reason": "Cycle count"}
    body.update(overrides)
    return body


@pytest.mark.smoke
def test_stock_count_view_sets_on_hand_and_writes_count_movement(staff_api, stocked):
    level = stocked(10)

    response = staff_api.post(URL, payload(level.variant.sku, notes="Aisle 4"), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"stock", "movement"} | STOCK_ROW_KEYS
    assert set(body["stock"]) == STOCK_ROW_KEYS
    assert set(body["movement"]) == MOVEMENT_KEYS
    assert body["stock"]["on_hand"] == 7
    movement = body["movement"]
    assert (movement["type"], movement["delta"], movement["quantity_before"], movement["quantity_after"]) == (
        "COUNT", -3, 10, 7,
    )
    assert (movement["user"], movement["notes"]) == ("staff", "Aisle 4")
    level.refresh_from_db()
    assert level.on_hand == 7


def test_stock_count_view_at_named_location_creates_the_level(staff_api, default_location, other_location):
    variant = factories.VariantFactory()

    response = staff_api.post(URL, payload(variant.sku, counted=4, location="store"), format="json")

    assert response.status_code == 201
    assert response.json()["stock"]["location"] == "store"
    assert StockLevel.objects.get(variant=variant, location=other_location).on_hand == 4


@pytest.mark.smoke
def test_stock_count_view_expected_on_hand_mismatch_gets_409_with_current_value(staff_api, stocked):
    level = stocked(10)
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(level.variant.sku, expected_on_hand=9), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["on_hand"] == 10
    assert body["current_on_hand"] == 10
    assert body["expected_on_hand"] == 9
    assert "holds 10" in body["detail"]
    assert ledger_snapshot() == before


def test_stock_count_view_expected_on_hand_match_writes(staff_api, stocked):
    level = stocked(10)

    response = staff_api.post(URL, payload(level.variant.sku, expected_on_hand=10, counted=12), format="json")

    assert response.status_code == 201
    assert response.json()["movement"]["delta"] == 2
    level.refresh_from_db()
    assert level.on_hand == 12


def test_stock_count_view_second_counter_with_stale_value_is_refused(staff_api, manager_api, stocked):
    level = stocked(10)
    sku = level.variant.sku
    first = staff_api.post(URL, payload(sku, counted=8, expected_on_hand=10), format="json")

    second = manager_api.post(URL, payload(sku, counted=9, expected_on_hand=10), format="json")

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["current_on_hand"] == 8
    level.refresh_from_db()
    assert level.on_hand == 8


@pytest.mark.smoke
def test_stock_count_view_idempotent_retry_returns_first_movement(staff_api, stocked):
    level = stocked(10)
    body = payload(level.variant.sku, counted=6, idempotency_key="count-2024-06-01-a4")

    first = staff_api.post(URL, body, format="json")
    after_first = ledger_snapshot()
    retry = staff_api.post(URL, body, format="json")

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json()["movement"]["id"] == first.json()["movement"]["id"]
    assert ledger_snapshot() == after_first
    assert StockMovement.objects.filter(level=level, type="COUNT").count() == 1


def test_stock_count_view_idempotency_key_reused_for_another_count_is_409_with_detail(staff_api, stocked):
    level = stocked(10)
    staff_api.post(URL, payload(level.variant.sku, counted=6, idempotency_key="count-a4"), format="json")
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(level.variant.sku, counted=3, idempotency_key="count-a4"), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "This idempotency key was already used for a different stock change."
    assert body["idempotency_key"] == [body["detail"]]
    assert ledger_snapshot() == before


def test_stock_count_view_missing_fields_get_400(staff_api, stocked):
    stocked(10)
    before = ledger_snapshot()

    response = staff_api.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"sku", "counted", "reason"}
    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"counted": -1}, "counted"),
        ({"counted": "seven"}, "counted"),
        ({"counted": 7.5}, "counted"),
        ({"counted": False}, "counted"),
        ({"counted": 10**30}, "counted"),
        ({"counted": 2**31}, "counted"),
        ({"reason": "   "}, "reason"),
        ({"expected_on_hand": -5}, "expected_on_hand"),
        ({"expected_on_hand": 1.25}, "expected_on_hand"),
        ({"location": "x" * 33}, "location"),
    ],
)
def test_stock_count_view_bad_value_gets_400_naming_the_field(staff_api, stocked, overrides, field):
    level = stocked(10)
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(level.variant.sku, **overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert ledger_snapshot() == before


def test_stock_count_view_unknown_sku_gets_404(staff_api, stocked):
    stocked(10)
    before = ledger_snapshot()

    response = staff_api.post(URL, payload("GHOST-1"), format="json")

    assert response.status_code == 404
    assert "GHOST-1" in response.json()["detail"]
    assert ledger_snapshot() == before


def test_stock_count_view_unknown_location_gets_404(staff_api, stocked):
    level = stocked(10)
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(level.variant.sku, location="basement"), format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown location 'basement'.", "location": ["Unknown location 'basement'."]}
    assert ledger_snapshot() == before


def test_stock_count_view_anonymous_401_and_customer_403(api_client, customer_api, stocked):
    level = stocked(10)
    before = ledger_snapshot()

    assert api_client.post(URL, payload(level.variant.sku), format="json").status_code == 401
    assert customer_api.post(URL, payload(level.variant.sku), format="json").status_code == 403
    assert ledger_snapshot() == before
