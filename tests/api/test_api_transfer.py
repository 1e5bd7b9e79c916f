import pytest
from django.db.models import Sum

from inventory.models import StockLevel, StockMovement
from tests import factories
from tests.api.helpers import MOVEMENT_KEYS, STOCK_ROW_KEYS, ledger_snapshot, token_client

URL = "/api/v1/stock/transfer/"


@pytest.fixture
def two_levels(stocked, other_location):
    """A variant with 10 units at main and 2 at store."""
    variant = factories.VariantFactory(sku="MUG-RED")
    return stocked(10, variant=variant), stocked(2, variant=variant, location=other_location)


def payload(**overrides) -> dict:
    body = {"sku": "MUG-RED", "from_location": "main", "to_location": "store", "quantity": 4, "reason": "Shelf refill"}
    body.update(overrides)
    return body


@pytest.mark.smoke
def test_stock_transfer_view_moves_units_and_answers_both_rows(manager_api, two_levels):
    source, target = two_levels

    response = manager_api.post(URL, payload(notes="Weekly"), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"from", "to", "movements"}
    assert set(body["from"]) == STOCK_ROW_KEYS and set(body["to"]) == STOCK_ROW_KEYS
    assert (body["from"]["location"], body["from"]["on_hand"]) == ("main", 6)
    assert (body["to"]["location"], body["to"]["on_hand"]) == ("store", 6)
    out_movement, in_movement = body["movements"]
    assert set(out_movement) == MOVEMENT_KEYS
    assert (out_movement["type"], out_movement["delta"], out_movement["location"]) == ("TRANSFER_OUT", -4, "main")
    assert (in_movement["type"], in_movement["delta"], in_movement["location"]) == ("TRANSFER_IN", 4, "store")
    assert out_movement["user"] == "manager"
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.on_hand, target.on_hand) == (6, 6)
    assert StockLevel.objects.filter(variant__sku="MUG-RED").aggregate(total=Sum("on_hand"))["total"] == 12


def test_stock_transfer_view_admin_may_transfer(admin_user, two_levels):
    response = token_client(admin_user).post(URL, payload(), format="json")

    assert response.status_code == 201


@pytest.mark.smoke
def test_stock_transfer_view_staff_gets_403_and_nothing_moves(staff_api, two_levels):
    before = ledger_snapshot()

    response = staff_api.post(URL, payload(), format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to transfer stock between locations."}
    assert ledger_snapshot() == before


def test_stock_transfer_view_anonymous_gets_401(api_client, two_levels):
    before = ledger_snapshot()

    response = api_client.post(URL, payload(), format="json")

    assert response.status_code == 401
    assert ledger_snapshot() == before


@pytest.mark.smoke
def test_stock_transfer_view_insufficient_stock_gets_409_with_requested_and_available(manager_api, two_levels):
    before = ledger_snapshot()

    response = manager_api.post(URL, payload(quantity=11), format="json")

    assert response.status_code == 409
    body = response.json()
    assert (body["requested"], body["available"], body["sku"], body["location"]) == (11, 10, "MUG-RED", "main")
    assert ledger_snapshot() == before


def test_stock_transfer_view_unknown_sku_gets_404(manager_api, two_levels):
    before = ledger_snapshot()

    response = manager_api.post(URL, payload(sku="MUG-GREEN"), format="json")

    assert response.status_code == 404
    assert response.json()["detail"] == "Unknown SKU 'MUG-GREEN'."
    assert ledger_snapshot() == before


@pytest.mark.parametrize("field", ["from_location", "to_location"])
def test_stock_transfer_view_unknown_location_gets_404_naming_the_field(manager_api, two_levels, field):
    before = ledger_snapshot()

    response = manager_api.post(URL, payload(**{field: "moon"}), format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown location 'moon'.", field: ["Unknown location 'moon'."]}
    assert ledger_snapshot() == before


def test_stock_transfer_view_same_location_gets_409(manager_api, two_levels):
    before = ledger_snapshot()

    response = manager_api.post(URL, payload(to_location="main"), format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "Source and destination must be different locations.",
                               "to_location": ["Source and destination must be different locations."]}
    assert ledger_snapshot() == before


def test_stock_transfer_view_missing_fields_get_400(manager_api, two_levels):
    before = ledger_snapshot()

    response = manager_api.post(URL, {"sku": "MUG-RED"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"from_location", "to_location", "quantity", "reason"}
    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -4}, "quantity"),
        ({"quantity": 10**30}, "quantity"),
        ({"quantity": "4x"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"from_location": ""}, "from_location"),
        ({"to_location": None}, "to_location"),
        ({"reason": ""}, "reason"),
    ],
)
def test_stock_transfer_view_bad_value_gets_400_naming_the_field(manager_api, two_levels, overrides, field):
    before = ledger_snapshot()

    response = manager_api.post(URL, payload(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert ledger_snapshot() == before


def test_stock_transfer_view_malformed_json_gets_400(manager_api, two_levels):
    before = ledger_snapshot()

    response = manager_api.generic("POST", URL, '{"sku": "MUG-RED",', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert ledger_snapshot() == before


@pytest.mark.smoke
def test_stock_transfer_view_idempotent_retry_returns_first_movements(manager_api, two_levels):
    body = payload(idempotency_key="transfer-0001")

    first = manager_api.post(URL, body, format="json")
    after_first = ledger_snapshot()
    retry = manager_api.post(URL, body, format="json")

    assert first.status_code == 201
    assert retry.status_code == 200
    assert [m["id"] for m in retry.json()["movements"]] == [m["id"] for m in first.json()["movements"]]
    assert ledger_snapshot() == after_first
    assert StockMovement.objects.filter(type="TRANSFER_OUT").count() == 1
