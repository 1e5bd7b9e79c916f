import json

import pytest
from rest_framework.test import APIClient

from inventory.models import StockLevel, StockMovement
from tests.api.helpers import MOVEMENT_KEYS, STOCK_ROW_KEYS, ledger_snapshot

URL = "/api/v1/stock/adjust/"


def payload(sku: str, **overrides) -> dict:
    body = {"sku": sku, "quantity": -3, "type": "DAMAGE", "reason": "Dropped a box"}
    body.update(overrides)
    return body


@pytest.mark.smoke
def test_stock_adjust_view_writes_movement_and_answers_201(staff_api, stocked):
    level = stocked(10)
    sku = level.variant.sku

    response = staff_api.post(URL, payload(sku, notes="Forklift", location="main"), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"stock", "movement"} | STOCK_ROW_KEYS
    assert set(body["stock"]) == STOCK_ROW_KEYS
    assert set(body["movement"]) == MOVEMENT_KEYS
    assert (body["stock"]["sku"], body["stock"]["location"], body["stock"]["on_hand"]) == (sku, "main", 7)
    movement = body["movement"]
    assert (movement["type"], movement["delta"], movement["quantity_before"], movement["quantity_after"]) == (
        "DAMAGE", -3, 10, 7,
    )
    assert (movement["reason"], movement["notes"], movement["user"]) == ("Dropped a box", "Forklift", "staff")
    level.refresh_from_db()
    assert level.on_hand == 7
    saved = StockMovement.objects.get(pk=movement["id"])
    assert (saved.delta, saved.user.username, saved.type) == (-3, "staff", "DAMAGE")


def test_stock_adjust_view_uses_default_location_when_omitted(staff_api, stocked):
    level = stocked(2)

    response = staff_api.post(URL, payload(level.variant.sku, quantity=5, type="RESTOCK"), format="json")

    assert response.status_code == 201
    assert response.json()["stock"]["location"] == "main"
    level.refresh_from_db()
    assert level.on_hand == 7


def test_stock_adjust_view_form_encoded_body_is_415_and_changes_nothing(staff_api, stocked):
    level = stocked(2)

    response = staff_api.post(URL, payload(level.variant.sku, quantity="4", type="RESTOCK"), format="multipart")

    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]
    level.refresh_from_db()
    assert level.on_hand == 2


def test_stock_adjust_view_quantity_as_text_is_400(staff_api, stocked):
    level = stocked(2)

    response = staff_api.post(URL, payload(level.variant.sku, quantity="4", type="RESTOCK"), format="json")

    assert response.status_code == 400
    assert response.json() == {"quantity": ["Must be a whole number."]}


@pytest.mark.smoke
def test_stock_adjust_view_insufficient_stock_gets_409_with_requested_and_available(staff_api, stocked):
    level = stocked(2)
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(level.variant.sku, quantity=-5, type="SALE"), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["requested"] == 5
    assert body["available"] == 2
    assert body["sku"] == level.variant.sku
    assert "Not enough stock" in body["detail"]
    assert ledger_snapshot() == before


@pytest.mark.smoke
def test_stock_adjust_view_unknown_sku_gets_404(staff_api, stocked):
    stocked(5)
    before = ledger_snapshot()

    response = staff_api.post(URL, payload("NO-SUCH-SKU"), format="json")

    assert response.status_code == 404
    assert response.json()["detail"] == "Unknown SKU 'NO-SUCH-SKU'."
    assert ledger_snapshot() == before


def test_stock_adjust_view_unknown_location_gets_404_naming_location(staff_api, stocked):
    level = stocked(5)
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(level.variant.sku, location="attic"), format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown location 'attic'.", "location": ["Unknown location 'attic'."]}
    assert ledger_snapshot() == before


def test_stock_adjust_view_inactive_location_gets_400(staff_api, stocked, other_location):
    level = stocked(5, location=other_location)
    other_location.active = False
    other_location.save()
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(level.variant.sku, location="store"), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["location"]
    assert ledger_snapshot() == before


@pytest.mark.smoke
def test_stock_adjust_view_missing_fields_get_400_naming_each(staff_api, stocked):
    stocked(5)
    before = ledger_snapshot()

    response = staff_api.post(URL, {}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"sku", "quantity", "type", "reason"}
    assert body["reason"] == ["This field is required."]
    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"quantity": 10**30}, "quantity"),
        ({"quantity": -(2**31)}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": [1]}, "quantity"),
        ({"type": "BOGUS"}, "type"),
        ({"type": "TRANSFER_OUT"}, "type"),
        ({"type": "damage"}, "type"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 201}, "reason"),
        ({"reason": {"a": 1}}, "reason"),
        ({"sku": "S" * 65}, "sku"),
        ({"sku": ["A"]}, "sku"),
        ({"notes": "bad\x00byte"}, "notes"),
        ({"idempotency_key": "k" * 201}, "idempotency_key"),
        ({"expected_on_hand": -1}, "expected_on_hand"),
        ({"expected_on_hand": 10**30}, "expected_on_hand"),
        ({"expected_on_hand": "ten"}, "expected_on_hand"),
        # sign rules of the movement types are the service's: still a 400 naming the field
        ({"type": "SALE", "quantity": 3}, "quantity"),
        ({"type": "RESTOCK", "quantity": -3}, "quantity"),
    ],
)
def test_stock_adjust_view_bad_value_gets_400_naming_the_field(staff_api, stocked, overrides, field):
    level = stocked(10)
    body = {**payload(level.variant.sku), **overrides}
    before = ledger_snapshot()

    response = staff_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    "raw",
    ['{"sku": "A", "quantity": ', "not json at all", "[" * 100_000, '{"quantity": NaN}', "[1, 2]", "null", ""],
    ids=["truncated", "not-json", "nested-too-deep", "nan", "list", "null", "empty"],
)
def test_stock_adjust_view_malformed_body_gets_400(staff_api, stocked, raw):
    stocked(10)
    before = ledger_snapshot()

    response = staff_api.generic("POST", URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()
    assert ledger_snapshot() == before


@pytest.mark.smoke
def test_stock_adjust_view_idempotent_retry_returns_first_movement_and_writes_nothing(staff_api, stocked):
    level = stocked(10)
    body = payload(level.variant.sku, quantity=-2, type="SALE", idempotency_key="order-77-line-1")

    first = staff_api.post(URL, body, format="json")
    after_first = ledger_snapshot()
    retry = staff_api.post(URL, body, format="json")

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json()["movement"]["id"] == first.json()["movement"]["id"]
    assert retry.json()["movement"]["idempotency_key"] == "order-77-line-1"
    assert retry.json()["stock"]["on_hand"] == 8
    assert ledger_snapshot() == after_first
    assert StockLevel.objects.get(pk=level.pk).on_hand == 8
    assert StockMovement.objects.filter(idempotency_key="order-77-line-1").count() == 1


def test_stock_adjust_view_idempotency_key_reused_for_other_change_gets_409(staff_api, stocked):
    level = stocked(10)
    other = stocked(10)
    staff_api.post(URL, payload(level.variant.sku, idempotency_key="k-1"), format="json")
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(other.variant.sku, idempotency_key="k-1"), format="json")

    assert response.status_code == 409
    assert set(response.json()) == {"detail", "idempotency_key"}
    assert response.json()["detail"] == response.json()["idempotency_key"][0]
    assert ledger_snapshot() == before


def test_stock_adjust_view_expected_on_hand_mismatch_gets_409_with_current_value(staff_api, stocked):
    level = stocked(10)
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(level.variant.sku, expected_on_hand=12), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["on_hand"] == 10
    assert body["current_on_hand"] == 10
    assert body["expected_on_hand"] == 12
    assert ledger_snapshot() == before


def test_stock_adjust_view_anonymous_gets_401(api_client, stocked):
    level = stocked(10)
    before = ledger_snapshot()

    response = api_client.post(URL, payload(level.variant.sku), format="json")

    assert response.status_code == 401
    assert ledger_snapshot() == before


def test_stock_adjust_view_role_without_permission_gets_403(customer_api, stocked):
    level = stocked(10)
    before = ledger_snapshot()

    response = customer_api.post(URL, payload(level.variant.sku), format="json")

    assert response.status_code == 403
    assert ledger_snapshot() == before


def test_stock_adjust_view_session_needs_csrf_token(staff_user, stocked):
    level = stocked(10)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_user)
    before = ledger_snapshot()

    response = client.post(URL, json.dumps(payload(level.variant.sku)), content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert ledger_snapshot() == before


def test_stock_adjust_view_get_not_allowed(staff_api):
    assert staff_api.get(URL).status_code == 405


@pytest.mark.smoke
def test_stock_adjust_view_answers_the_stock_row_at_the_top_level_too(stocked, admin_user):
    from rest_framework.test import APIClient

    level = stocked(10)
    client = APIClient()
    client.force_authenticate(admin_user)
    response = client.post(
        "/api/v1/stock/adjust/",
        {"sku": level.variant.sku, "quantity": -3, "type": "SALE", "reason": "Counter sale"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["on_hand"] == body["stock"]["on_hand"] == 7
    assert body["available"] == 7 and body["is_out"] is False
    assert body["movement"]["delta"] == -3
