from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inventory.models import Reservation, ReservationStatus, StockMovement
from inventory.services import reservations_expire_due
from tests.api.helpers import RESERVATION_KEYS, ledger_snapshot, level_of

URL = "/api/v1/reservations/"


def detail_url(pk: int) -> str:
    return f"{URL}{pk}/"


def reserve(client, *lines, reference="cart-1", **extra):
    body = {"reference": reference, "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], **extra}
    return client.post(URL, body, format="json")


# --- create ---------------------------------------------------------------

@pytest.mark.smoke
def test_reservation_create_view_holds_stock_and_answers_201(manager_api, stocked, settings):
    settings.RESERVATION_TTL_MINUTES = 30
    a, b = stocked(10), stocked(4)
    before = timezone.now()

    response = reserve(manager_api, (a.variant.sku, 3), (b.variant.sku, 4))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == RESERVATION_KEYS
    assert body["reference"] == "cart-1"
    assert body["status"] == "ACTIVE"
    assert body["lines"] == [
        {"sku": a.variant.sku, "location": "main", "quantity": 3},
        {"sku": b.variant.sku, "location": "main", "quantity": 4},
    ]
    expires_at = parse_datetime(body["expires_at"])
    assert before + timedelta(minutes=30) <= expires_at <= timezone.now() + timedelta(minutes=30)
    assert 29 * 60 <= body["seconds_left"] <= 30 * 60
    assert (level_of(a.variant).reserved, level_of(b.variant).reserved) == (3, 4)
    assert (level_of(a.variant).on_hand, level_of(b.variant).on_hand) == (10, 4)
    reservation = Reservation.objects.get(pk=body["id"])
    assert reservation.user.username == "manager"


def test_reservation_create_view_ttl_seconds_sets_the_expiry(manager_api, stocked):
    level = stocked(5)

    body = reserve(manager_api, (level.variant.sku, 1), ttl_seconds=120).json()

    expires_at = parse_datetime(body["expires_at"])
    assert timedelta(seconds=110) < expires_at - timezone.now() <= timedelta(seconds=120)
    assert 110 < body["seconds_left"] <= 120


def test_reservation_create_view_line_location(manager_api, stocked, other_location):
    level = stocked(5, location=other_location)

    response = manager_api.post(URL, {"reference": "r", "lines": [
        {"sku": level.variant.sku, "quantity": 2, "location": "store"},
    ]}, format="json")

    assert response.status_code == 201
    assert response.json()["lines"] == [{"sku": level.variant.sku, "location": "store", "quantity": 2}]
    assert level_of(level.variant, other_location).reserved == 2


@pytest.mark.smoke
def test_reservation_create_view_replay_with_same_key_answers_200_and_holds_nothing_more(manager_api, stocked):
    level = stocked(10)
    first = reserve(manager_api, (level.variant.sku, 3), idempotency_key="key-1")
    assert first.status_code == 201

    again = reserve(manager_api, (level.variant.sku, 3), idempotency_key="key-1")

    assert again.status_code == 200
    first_body, again_body = first.json(), again.json()
    first_body.pop("seconds_left"), again_body.pop("seconds_left")
    assert again_body == first_body
    assert level_of(level.variant).reserved == 3
    assert Reservation.objects.count() == 1


def test_reservation_create_view_key_reused_for_other_lines_gets_409(manager_api, stocked):
    level = stocked(10)
    reserve(manager_api, (level.variant.sku, 3), idempotency_key="key-1")

    response = reserve(manager_api, (level.variant.sku, 4), idempotency_key="key-1")

    assert response.status_code == 409
    assert "idempotency_key" in response.json()
    assert level_of(level.variant).reserved == 3


@pytest.mark.smoke
def test_reservation_create_view_shortfall_gets_409_with_lines_and_holds_nothing(manager_api, stocked):
    plenty, short = stocked(10), stocked(2)
    before = ledger_snapshot()

    response = reserve(manager_api, (plenty.variant.sku, 3), (short.variant.sku, 5))

    assert response.status_code == 409
    body = response.json()
    assert "Not enough stock" in body["detail"]
    assert body["lines"] == [{"sku": short.variant.sku, "location": "main", "requested": 5, "available": 2}]
    assert ledger_snapshot() == before
    assert Reservation.objects.count() == 0


def test_reservation_create_view_unknown_sku_gets_404_naming_it(manager_api, stocked):
    level = stocked(10)
    before = ledger_snapshot()

    response = reserve(manager_api, (level.variant.sku, 1), ("NOPE-1", 1))

    assert response.status_code == 404
    body = response.json()
    assert body["sku"] == "NOPE-1"
    assert "NOPE-1" in body["detail"] and "Line 2" in body["detail"]
    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"ttl_seconds": -5}, "ttl_seconds"),
        ({"ttl_seconds": "soon"}, "ttl_seconds"),
        ({"ttl_seconds": 1.5}, "ttl_seconds"),
        ({"ttl_seconds": 7 * 24 * 3600 + 1}, "ttl_seconds"),
        ({"reference": ""}, "reference"),
        ({"reference": "x" * 201}, "reference"),
        ({"idempotency_key": "k" * 201}, "idempotency_key"),
        ({"lines": []}, "lines"),
        ({"lines": None}, "lines"),
    ],
)
def test_reservation_create_view_bad_input_gets_400_naming_the_field(manager_api, stocked, extra, field):
    level = stocked(10)
    body = {"reference": "cart-1", "lines": [{"sku": level.variant.sku, "quantity": 1}], **extra}

    response = manager_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert level_of(level.variant).reserved == 0


def test_reservation_create_view_missing_reference_gets_400(manager_api, stocked):
    level = stocked(10)

    response = manager_api.post(URL, {"lines": [{"sku": level.variant.sku, "quantity": 1}]}, format="json")

    assert response.status_code == 400
    assert "reference" in response.json()


@pytest.mark.parametrize("quantity", [0, -1, "2", 2.5])
def test_reservation_create_view_bad_quantity_gets_400_naming_the_line(manager_api, stocked, quantity):
    level = stocked(10)

    response = reserve(manager_api, (level.variant.sku, 1), (level.variant.sku, quantity))

    assert response.status_code == 400
    assert response.json()["lines"][0] == {}
    assert "quantity" in response.json()["lines"][1]


def test_reservation_create_view_unknown_location_gets_404(manager_api, stocked):
    level = stocked(10)

    response = manager_api.post(URL, {"reference": "r", "lines": [
        {"sku": level.variant.sku, "quantity": 1, "location": "attic"},
    ]}, format="json")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Unknown location 'attic'.",
        "lines": [{"location": ["Unknown location 'attic'."]}],
    }
    assert level_of(level.variant).reserved == 0
    assert not Reservation.objects.exists()


def test_reservation_create_view_inactive_location_gets_400(manager_api, stocked, other_location):
    level = stocked(5, location=other_location)
    other_location.active = False
    other_location.save(update_fields=["active"])

    response = manager_api.post(URL, {"reference": "r", "lines": [
        {"sku": level.variant.sku, "quantity": 1, "location": "store"},
    ]}, format="json")

    assert response.status_code == 400
    assert "inactive" in response.json()["lines"][0]


def test_reservation_create_view_anonymous_gets_401(api_client, stocked):
    level = stocked(5)

    assert reserve(api_client, (level.variant.sku, 1)).status_code == 401
    assert level_of(level.variant).reserved == 0


def test_reservation_create_view_staff_without_add_permission_gets_403(staff_api, stocked):
    level = stocked(5)

    response = reserve(staff_api, (level.variant.sku, 1))

    assert response.status_code == 403
    assert "reservations" in response.json()["detail"]
    assert level_of(level.variant).reserved == 0


# --- list and detail ---------------------------------------------------------

def test_reservation_list_view_pages_and_filters(staff_api, manager_api, stocked):
    level = stocked(20)
    sku = level.variant.sku
    ids = [reserve(manager_api, (sku, 1), reference=f"cart-{n}").json()["id"] for n in range(3)]
    manager_api.post(f"{URL}{ids[0]}/release/")

    everything = staff_api.get(URL).json()
    active = staff_api.get(URL, {"status": "ACTIVE"}).json()
    by_reference = staff_api.get(URL, {"reference": "cart-2"}).json()
    page = staff_api.get(URL, {"page_size": 2}).json()

    assert everything["count"] == 3
    assert [r["id"] for r in everything["results"]] == ids[::-1]  # newest first
    assert set(everything["results"][0]) == RESERVATION_KEYS
    assert [r["id"] for r in active["results"]] == ids[:0:-1]
    assert [r["id"] for r in by_reference["results"]] == [ids[2]]
    assert len(page["results"]) == 2 and page["next"] and page["previous"] is None


def test_reservation_list_view_unknown_status_gets_400(staff_api, db):
    response = staff_api.get(URL, {"status": "LOST"})

    assert response.status_code == 400
    assert "status" in response.json()


def test_reservation_list_view_anonymous_gets_401(api_client, db):
    assert api_client.get(URL).status_code == 401


def test_reservation_list_view_role_without_permission_gets_403(customer_api, db):
    assert customer_api.get(URL).status_code == 403


def test_reservation_detail_view(staff_api, manager_api, stocked):
    level = stocked(5)
    created = reserve(manager_api, (level.variant.sku, 2)).json()

    response = staff_api.get(detail_url(created["id"]))

    assert response.status_code == 200
    assert response.json()["lines"] == created["lines"]
    assert response.json()["status"] == "ACTIVE"


def test_reservation_detail_view_unknown_gets_404(staff_api, db):
    response = staff_api.get(detail_url(999999))

    assert response.status_code == 404
    assert "999999" in response.json()["detail"]


def test_reservation_detail_view_role_without_permission_gets_403(customer_api, manager_api, stocked):
    level = stocked(5)
    created = reserve(manager_api, (level.variant.sku, 2)).json()

    assert customer_api.get(detail_url(created["id"])).status_code == 403


def test_reservation_detail_view_expired_shows_zero_seconds_left(staff_api, manager_api, stocked):
    level = stocked(5)
    created = reserve(manager_api, (level.variant.sku, 2), ttl_seconds=60).json()
    reservations_expire_due(now=timezone.now() + timedelta(minutes=2))

    body = staff_api.get(detail_url(created["id"])).json()

    assert (body["status"], body["seconds_left"]) == ("EXPIRED", 0)
    assert level_of(level.variant).reserved == 0


# --- commit and release -----------------------------------------------------------

@pytest.mark.smoke
def test_reservation_commit_view_sells_the_stock(manager_api, stocked):
    level = stocked(10)
    created = reserve(manager_api, (level.variant.sku, 3)).json()

    response = manager_api.post(f"{detail_url(created['id'])}commit/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == RESERVATION_KEYS
    assert (body["id"], body["status"], body["seconds_left"]) == (created["id"], "COMMITTED", 0)
    fresh = level_of(level.variant)
    assert (fresh.on_hand, fresh.reserved) == (7, 0)
    sale = StockMovement.objects.get(type="SALE")
    assert (sale.delta, sale.user.username, sale.reservation_id) == (-3, "manager", created["id"])


def test_reservation_commit_view_twice_changes_nothing(manager_api, stocked):
    level = stocked(10)
    created = reserve(manager_api, (level.variant.sku, 3)).json()
    manager_api.post(f"{detail_url(created['id'])}commit/")
    before = ledger_snapshot()

    response = manager_api.post(f"{detail_url(created['id'])}commit/")

    assert response.status_code == 200
    assert response.json()["status"] == "COMMITTED"
    assert ledger_snapshot() == before


def test_reservation_commit_view_released_gets_409(manager_api, stocked):
    level = stocked(10)
    created = reserve(manager_api, (level.variant.sku, 3)).json()
    manager_api.post(f"{detail_url(created['id'])}release/")
    before = ledger_snapshot()

    response = manager_api.post(f"{detail_url(created['id'])}commit/")

    assert response.status_code == 409
    assert "released" in response.json()["detail"]
    assert ledger_snapshot() == before


@pytest.mark.smoke
def test_reservation_release_view_gives_the_stock_back(manager_api, stocked):
    level = stocked(10)
    created = reserve(manager_api, (level.variant.sku, 3)).json()

    response = manager_api.post(f"{detail_url(created['id'])}release/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["seconds_left"]) == ("RELEASED", 0)
    fresh = level_of(level.variant)
    assert (fresh.on_hand, fresh.reserved) == (10, 0)
    assert manager_api.post(f"{detail_url(created['id'])}release/").status_code == 200  # idempotent


def test_reservation_release_view_committed_gets_409(manager_api, stocked):
    level = stocked(10)
    created = reserve(manager_api, (level.variant.sku, 3)).json()
    manager_api.post(f"{detail_url(created['id'])}commit/")

    response = manager_api.post(f"{detail_url(created['id'])}release/")

    assert response.status_code == 409
    assert "committed" in response.json()["detail"]
    assert level_of(level.variant).on_hand == 7


@pytest.mark.parametrize(("action", "instead"), [("commit", "ship"), ("release", "cancel")])
def test_reservation_commit_and_release_views_refuse_an_orders_reservation(manager_api, stocked, action, instead):
    level = stocked(10)
    order = manager_api.post("/api/v1/orders/", {"lines": [{"sku": level.variant.sku, "quantity": 2}]}, format="json").json()
    confirmed = manager_api.post(f"/api/v1/orders/{order['number']}/transition/", {"to": "CONFIRMED"}, format="json")
    reservation_id = confirmed.json()["reservation"]["id"]
    before = ledger_snapshot()

    response = manager_api.post(f"{detail_url(reservation_id)}{action}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Reservation {reservation_id} belongs to order {order['number']}: {instead} it through the order instead.",
    }
    assert ledger_snapshot() == before
    assert Reservation.objects.get(pk=reservation_id).status == ReservationStatus.ACTIVE


@pytest.mark.parametrize("action", ["commit", "release"])
def test_reservation_commit_and_release_views_unknown_gets_404(manager_api, db, action):
    assert manager_api.post(f"{detail_url(424242)}{action}/").status_code == 404


@pytest.mark.parametrize("action", ["commit", "release"])
def test_reservation_commit_and_release_views_staff_gets_403(staff_api, manager_api, stocked, action):
    level = stocked(10)
    created = reserve(manager_api, (level.variant.sku, 3)).json()

    response = staff_api.post(f"{detail_url(created['id'])}{action}/")

    assert response.status_code == 403
    assert Reservation.objects.get(pk=created["id"]).status == ReservationStatus.ACTIVE


@pytest.mark.parametrize("action", ["commit", "release"])
def test_reservation_commit_and_release_views_anonymous_gets_401(api_client, manager_api, stocked, action):
    level = stocked(10)
    created = reserve(manager_api, (level.variant.sku, 3)).json()

    assert api_client.post(f"{detail_url(created['id'])}{action}/").status_code == 401
