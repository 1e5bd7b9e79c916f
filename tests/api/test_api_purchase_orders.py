from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import MovementType, StockMovement
from purchasing.models import PurchaseOrder, PurchaseOrderEvent, Receipt
from purchasing.models import PurchaseOrderStatus as S
from tests import factories
from tests.api.helpers import ledger_snapshot, level_of
from tests.purchasing.builders import order_create, order_in_status

URL = "/api/v1/purchase-orders/"
ORDER_KEYS = {
    "id", "number", "supplier", "status", "allowed_transitions", "currency", "order_date", "expected_date",
    "received_date", "notes", "subtotal", "tax", "shipping", "total", "created_by", "created_at", "lines",
}
LINE_KEYS = {
    "id", "sku", "product", "supplier_sku", "quantity_ordered", "quantity_received", "quantity_outstanding",
    "unit_cost", "line_total",
}
MONEY_KEYS = {"subtotal", "tax", "shipping", "total"}
LINE_MONEY_KEYS = {"unit_cost", "line_total"}
RECEIPT_LINE_KEYS = {"line", "sku", "quantity", "location", "movement"}


def detail_url(order) -> str:
    return f"{URL}{order.pk}/"


def transition_url(order) -> str:
    return f"{URL}{order.pk}/transition/"


def receive_url(order) -> str:
    return f"{URL}{order.pk}/receive/"


def _state() -> tuple:
    """Orders, their lines, events and receipts, and the ledger: equal before and after a refused call."""
    orders = tuple(PurchaseOrder.objects.order_by("pk").values_list("pk", "status", "supplier_id", "total", "tax",
                                                                       "expected_date", "notes"))
    lines = tuple(PurchaseOrder.objects.order_by("pk", "lines__pk").values_list(
        "lines__variant_id", "lines__quantity_ordered", "lines__quantity_received", "lines__unit_cost"))
    return orders, lines, PurchaseOrderEvent.objects.count(), Receipt.objects.count(), ledger_snapshot()


@pytest.fixture
def catalogue(db):
    """A supplier with an item for variant A (cost 2.50, supplier SKU ACME-A) and a variant B without one."""
    supplier = factories.SupplierFactory(name="Acme Textiles")
    item = factories.SupplierItemFactory(supplier=supplier, unit_cost=Decimal("2.50"), supplier_sku="ACME-A")
    return supplier, item.variant, factories.VariantFactory()


@pytest.fixture
def shipped(catalogue, default_location):
    """A SHIPPED order: 10 of A and 10 of B."""
    supplier, a, b = catalogue
    return order_in_status(S.SHIPPED, supplier=supplier, variants=[a, b], quantity=10)


# --- list ------------------------------------------------------------------------

@pytest.mark.smoke
def test_purchase_order_list_view_paginates_newest_first(manager_api, catalogue):
    supplier, a, b = catalogue
    first = order_create(supplier, (a, 1))
    second = order_create(supplier, (b, 2), submit=True)

    response = manager_api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [row["number"] for row in body["results"]] == [second.number, first.number]
    assert set(body["results"][0]) == ORDER_KEYS
    assert body["results"][0]["supplier"] == {"id": supplier.pk, "name": "Acme Textiles"}
    assert body["results"][0]["allowed_transitions"] == ["CONFIRMED", "CANCELLED"]


def test_purchase_order_list_view_filters(manager_api, catalogue, default_location):
    supplier, a, b = catalogue
    other_supplier = factories.SupplierFactory(name="Bolt Supplies")
    draft = order_create(supplier, (a, 1))
    pending = order_create(other_supplier, (b, 1), submit=True)
    received = order_in_status(S.RECEIVED, supplier=other_supplier)

    def numbers(**params):
        response = manager_api.get(URL, params)
        assert response.status_code == 200, response.json()
        return {row["number"] for row in response.json()["results"]}

    assert numbers(status="PENDING") == {pending.number}
    assert numbers(status="received") == {received.number}
    assert numbers(status="") == {draft.number, pending.number, received.number}
    assert numbers(supplier=other_supplier.pk) == {pending.number, received.number}
    assert numbers(supplier=999999) == set()
    assert numbers(q="bolt") == {pending.number, received.number}
    assert numbers(q=a.sku) == {draft.number}
    assert numbers(q=draft.number) == {draft.number}


@pytest.mark.parametrize(("params", "field"), [({"status": "SENT"}, "status"), ({"supplier": "abc"}, "supplier"),
                                               ({"supplier": "-1"}, "supplier"), ({"q": "x" * 201}, "q"),
                                               ({"q": "\x00"}, "q")])
def test_purchase_order_list_view_bad_filters_are_400(manager_api, params, field):
    response = manager_api.get(URL, params)

    assert response.status_code == 400
    assert field in response.json()


def test_purchase_order_list_view_staff_sees_no_money(staff_api, catalogue):
    supplier, a, _ = catalogue
    order_create(supplier, (a, 3), tax="1.00")

    response = staff_api.get(URL)

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert set(row) == ORDER_KEYS - MONEY_KEYS
    assert set(row["lines"][0]) == LINE_KEYS - LINE_MONEY_KEYS
    assert "2.50" not in response.content.decode() and "7.50" not in response.content.decode()


def test_purchase_order_list_view_anonymous_401_and_customer_403(api_client, customer_api):
    assert api_client.get(URL).status_code == 401
    assert customer_api.get(URL).status_code == 403
    assert customer_api.post(URL, {}, format="json").status_code == 403


def test_purchase_order_list_view_query_count_does_not_grow_with_orders(manager_api, catalogue, default_location):
    supplier, a, b = catalogue

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager_api.get(URL).status_code == 200
        return len(captured)

    order_create(supplier, (a, 1))
    one = queries_for_list()
    for status in (S.PENDING, S.SHIPPED, S.PARTIALLY_RECEIVED, S.CANCELLED):
        order_in_status(status, supplier=factories.SupplierFactory(), variants=[a, b, factories.VariantFactory()])

    assert queries_for_list() == one


# --- create ----------------------------------------------------------------------

@pytest.mark.smoke
def test_purchase_order_create_view_answers_201_with_totals(manager_api, catalogue):
    supplier, a, b = catalogue
    before = ledger_snapshot()

    response = manager_api.post(URL, {
        "supplier": supplier.pk,
        "lines": [{"sku": a.sku, "quantity": 3}, {"sku": b.sku, "quantity": 2, "unit_cost": "10.00"}],
        "tax": "2.18", "shipping": "5.00", "expected_date": "2030-02-01", "notes": "Dock 2",
    }, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == ORDER_KEYS
    assert (body["number"], body["status"], body["currency"]) == ("PO-000001", "DRAFT", "USD")
    assert (body["subtotal"], body["tax"], body["shipping"], body["total"]) == ("27.50", "2.18", "5.00", "34.68")
    assert (body["expected_date"], body["received_date"], body["notes"]) == ("2030-02-01", None, "Dock 2")
    assert body["created_by"] == "manager"
    assert body["allowed_transitions"] == ["PENDING", "CANCELLED"]
    assert [set(line) for line in body["lines"]] == [LINE_KEYS, LINE_KEYS]
    first, second = body["lines"]
    assert (first["sku"], first["product"], first["supplier_sku"]) == (a.sku, a.product.name, "ACME-A")
    assert (first["quantity_ordered"], first["quantity_received"], first["quantity_outstanding"]) == (3, 0, 3)
    assert (first["unit_cost"], first["line_total"]) == ("2.50", "7.50")
    assert (second["unit_cost"], second["line_total"], second["supplier_sku"]) == ("10.00", "20.00", "")
    assert PurchaseOrder.objects.get().created_by.username == "manager"
    assert ledger_snapshot() == before


def test_purchase_order_create_view_submit_and_catalogue_cost(manager_api, catalogue):
    supplier, _, b = catalogue

    response = manager_api.post(URL, {"supplier": supplier.pk, "lines": [{"sku": b.sku, "quantity": 1}],
                                      "submit": True}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "PENDING"
    assert body["lines"][0]["unit_cost"] == "8.50"  # the catalogue cost


def test_purchase_order_create_view_unknown_sku_is_404_naming_it(manager_api, catalogue):
    supplier, a, _ = catalogue
    before = _state()

    response = manager_api.post(URL, {"supplier": supplier.pk, "lines": [
        {"sku": a.sku, "quantity": 1}, {"sku": "NOPE-1", "quantity": 1}]}, format="json")

    assert response.status_code == 404
    assert response.json()["sku"] == "NOPE-1" and response.json()["line"] == 2
    assert "NOPE-1" in response.json()["detail"]
    assert _state() == before


@pytest.mark.parametrize(("change", "field"), [
    ({"supplier": "acme"}, "supplier"),
    ({"supplier": None}, "supplier"),
    ({"lines": []}, "lines"),
    ({"lines": [{"sku": "X"}]}, "lines"),
    ({"lines": [{"sku": "X", "quantity": 0}]}, "lines"),
    ({"lines": [{"sku": "X", "quantity": "3"}]}, "lines"),
    ({"lines": [{"sku": "X", "quantity": 1, "unit_cost": "-1"}]}, "lines"),
    ({"lines": [{"sku": "X", "quantity": 1, "unit_cost": "1.234"}]}, "lines"),
    ({"tax": "-0.01"}, "tax"),
    ({"tax": "abc"}, "tax"),
    ({"shipping": "1e20"}, "shipping"),
    ({"expected_date": "next week"}, "expected_date"),
    ({"notes": "x" * 5001}, "notes"),
    ({"submit": "perhaps"}, "submit"),
])
def test_purchase_order_create_view_bad_input_is_400_naming_the_field(manager_api, catalogue, change, field):
    supplier, a, _ = catalogue
    body = {"supplier": supplier.pk, "lines": [{"sku": a.sku, "quantity": 1}], **change}

    response = manager_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not PurchaseOrder.objects.exists()


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"supplier": 999999}, "supplier", "Unknown supplier 999999."),
])
def test_purchase_order_create_view_unknown_reference_is_404_naming_the_field(manager_api, catalogue, change, field,
                                                                               message):
    supplier, a, _ = catalogue
    body = {"supplier": supplier.pk, "lines": [{"sku": a.sku, "quantity": 1}], **change}

    response = manager_api.post(URL, body, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": message, field: [message]}
    assert not PurchaseOrder.objects.exists()


def test_purchase_order_create_view_inactive_supplier_and_huge_total_are_400(manager_api, catalogue):
    supplier, a, _ = catalogue
    inactive = factories.SupplierFactory(active=False)

    inactive_response = manager_api.post(URL, {"supplier": inactive.pk, "lines": [{"sku": a.sku, "quantity": 1}]},
                                         format="json")
    huge_response = manager_api.post(URL, {"supplier": supplier.pk, "lines": [
        {"sku": a.sku, "quantity": 10_000_000, "unit_cost": "9999999999.99"}]}, format="json")

    assert inactive_response.status_code == 400 and "inactive" in inactive_response.json()["supplier"][0]
    assert huge_response.status_code == 400 and "too large" in huge_response.json()["lines"][0]
    assert not PurchaseOrder.objects.exists()


def test_purchase_order_create_view_body_not_an_object_is_400(manager_api):
    assert manager_api.post(URL, [1, 2], format="json").status_code == 400
    assert manager_api.post(URL, "{", content_type="application/json").status_code == 400


def test_purchase_order_create_view_staff_403_anonymous_401(staff_api, api_client, catalogue):
    supplier, a, _ = catalogue
    body = {"supplier": supplier.pk, "lines": [{"sku": a.sku, "quantity": 1}]}

    assert staff_api.post(URL, body, format="json").status_code == 403
    assert api_client.post(URL, body, format="json").status_code == 401
    assert not PurchaseOrder.objects.exists()


# --- detail, update, delete ------------------------------------------------------------

def test_purchase_order_detail_view(manager_api, staff_api, catalogue):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 4), shipping="3.00")

    manager = manager_api.get(detail_url(order))
    staff = staff_api.get(detail_url(order))

    assert manager.status_code == 200 and staff.status_code == 200
    assert manager.json()["number"] == order.number
    assert (manager.json()["subtotal"], manager.json()["total"]) == ("10.00", "13.00")
    assert set(staff.json()) == ORDER_KEYS - MONEY_KEYS
    assert set(staff.json()["lines"][0]) == LINE_KEYS - LINE_MONEY_KEYS


@pytest.mark.parametrize("po_id", ["999999", "99999999999999999999"])
def test_purchase_order_detail_view_unknown_is_404(manager_api, po_id):
    assert manager_api.get(f"{URL}{po_id}/").status_code == 404
    assert manager_api.patch(f"{URL}{po_id}/", {"notes": "x"}, format="json").status_code == 404
    assert manager_api.delete(f"{URL}{po_id}/").status_code == 404
    assert manager_api.post(f"{URL}{po_id}/transition/", {"to": "PENDING"}, format="json").status_code == 404
    assert manager_api.post(f"{URL}{po_id}/receive/", {}, format="json").status_code == 404


def test_purchase_order_detail_view_anonymous_401_customer_403(api_client, customer_api, catalogue):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 1))

    assert api_client.get(detail_url(order)).status_code == 401
    assert customer_api.get(detail_url(order)).status_code == 403


def test_purchase_order_patch_draft_lines_supplier_tax_shipping(manager_api, catalogue):
    supplier, a, b = catalogue
    order = order_create(supplier, (a, 1))
    other = factories.SupplierFactory(name="Bolt Supplies")

    response = manager_api.patch(detail_url(order), {
        "supplier": other.pk, "lines": [{"sku": a.sku, "quantity": 3, "unit_cost": "2.50"},
                                        {"sku": b.sku, "quantity": 2, "unit_cost": "10.00"}],
        "tax": "2.18", "shipping": "5.00",
    }, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["supplier"] == {"id": other.pk, "name": "Bolt Supplies"}
    assert (body["subtotal"], body["total"]) == ("27.50", "34.68")
    assert [line["quantity_ordered"] for line in body["lines"]] == [3, 2]


def test_purchase_order_patch_only_what_is_sent(manager_api, catalogue):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 2), tax="1.00", notes="Keep", expected_date=None)

    response = manager_api.patch(detail_url(order), {"expected_date": "2030-03-03"}, format="json")

    assert response.status_code == 200
    order.refresh_from_db()
    assert (str(order.expected_date), order.notes, order.tax) == ("2030-03-03", "Keep", Decimal("1.00"))


@pytest.mark.parametrize("change", [{"lines": [{"sku": "SKU", "quantity": 1}]}, {"tax": "1.00"},
                                    {"shipping": "1.00"}, {"supplier": "other"}])
def test_purchase_order_patch_draft_only_fields_after_draft_is_409(manager_api, catalogue, change):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 2), submit=True)
    if "lines" in change:
        change = {"lines": [{"sku": a.sku, "quantity": 5}]}
    if "supplier" in change:
        change = {"supplier": factories.SupplierFactory().pk}
    before = _state()

    response = manager_api.patch(detail_url(order), change, format="json")

    assert response.status_code == 409
    assert "draft" in response.json()["detail"] and response.json()["status"] == "PENDING"
    assert _state() == before


def test_purchase_order_patch_expected_date_and_notes_until_closed(manager_api, catalogue, default_location):
    supplier, a, _ = catalogue
    shipped = order_in_status(S.SHIPPED, supplier=supplier, variants=[a])
    received = order_in_status(S.RECEIVED, supplier=supplier, variants=[factories.VariantFactory()])

    ok = manager_api.patch(detail_url(shipped), {"expected_date": None, "notes": "Tracking 42"}, format="json")
    refused = manager_api.patch(detail_url(received), {"notes": "Too late"}, format="json")

    assert ok.status_code == 200
    assert (ok.json()["expected_date"], ok.json()["notes"], ok.json()["status"]) == (None, "Tracking 42", "SHIPPED")
    assert refused.status_code == 409 and "no longer be changed" in refused.json()["detail"]


@pytest.mark.parametrize(("lines", "missing"), [
    ([{"quantity": 1}], {"sku"}),
    ([{}], {"sku", "quantity"}),
    ([{"sku": "A"}], {"quantity"}),
])
def test_purchase_order_patch_lines_are_checked_whole(manager_api, catalogue, lines, missing):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 2))
    before = _state()

    response = manager_api.patch(detail_url(order), {"lines": lines}, format="json")

    assert response.status_code == 400
    assert set(response.json()["lines"][0]) == missing
    assert all(messages == ["This field is required."] for messages in response.json()["lines"][0].values())
    assert _state() == before


@pytest.mark.parametrize(("change", "status_code", "key"), [
    ({"lines": [{"sku": "NOPE-9", "quantity": 1}]}, 404, "sku"),
    ({"supplier": 999999}, 404, "supplier"),
    ({"tax": "-1"}, 400, "tax"),
    ({"lines": []}, 400, "lines"),
])
def test_purchase_order_patch_bad_input_changes_nothing(manager_api, catalogue, change, status_code, key):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 2))
    before = _state()

    response = manager_api.patch(detail_url(order), change, format="json")

    assert response.status_code == status_code
    assert key in response.json()
    assert _state() == before


def test_purchase_order_put_replaces_a_draft(manager_api, catalogue):
    supplier, a, b = catalogue
    order = order_create(supplier, (a, 2), tax="1.00", notes="Old")

    missing = manager_api.put(detail_url(order), {"supplier": supplier.pk}, format="json")
    response = manager_api.put(detail_url(order), {"supplier": supplier.pk, "lines": [{"sku": b.sku, "quantity": 1}]},
                               format="json")

    assert missing.status_code == 400 and "lines" in missing.json()
    assert response.status_code == 200
    body = response.json()
    assert [line["sku"] for line in body["lines"]] == [b.sku]
    assert (body["tax"], body["notes"], body["total"]) == ("0.00", "", "8.50")


def test_purchase_order_update_needs_change_permission(staff_api, catalogue):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 2))
    before = _state()

    assert staff_api.patch(detail_url(order), {"notes": "x"}, format="json").status_code == 403
    assert staff_api.put(detail_url(order), {"notes": "x"}, format="json").status_code == 403
    assert staff_api.delete(detail_url(order)).status_code == 403
    assert _state() == before


def test_purchase_order_money_needs_the_prices_permission(catalogue):
    """A role that may create orders but not see prices cannot set costs, tax or shipping."""
    from django.contrib.auth.models import Permission

    from tests.api.helpers import token_client

    supplier, a, _ = catalogue
    user = factories.UserFactory(username="buyer")
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="purchasing", codename__in=["add_purchaseorder", "view_purchaseorder"]))
    client = token_client(user)

    refused = client.post(URL, {"supplier": supplier.pk, "lines": [{"sku": a.sku, "quantity": 1, "unit_cost": "1.00"}]},
                          format="json")
    allowed = client.post(URL, {"supplier": supplier.pk, "lines": [{"sku": a.sku, "quantity": 1}]}, format="json")

    assert refused.status_code == 403 and "unit_cost" in refused.json()["detail"]
    assert allowed.status_code == 201 and "total" not in allowed.json()


def test_purchase_order_delete_view_draft_204_others_409(manager_api, catalogue):
    supplier, a, _ = catalogue
    draft = order_create(supplier, (a, 2))
    pending = order_create(supplier, (a, 2), submit=True)

    deleted = manager_api.delete(detail_url(draft))
    refused = manager_api.delete(detail_url(pending))

    assert deleted.status_code == 204
    assert not PurchaseOrder.objects.filter(pk=draft.pk).exists()
    assert refused.status_code == 409 and "cancel it instead" in refused.json()["detail"]
    assert PurchaseOrder.objects.filter(pk=pending.pk).exists()
    assert manager_api.get(detail_url(draft)).status_code == 404


# --- transition ------------------------------------------------------------------

@pytest.mark.smoke
def test_purchase_order_transition_view_moves_it_along(manager_api, catalogue):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 2))

    for to, allowed in (("PENDING", ["CONFIRMED", "CANCELLED"]), ("confirmed", ["SHIPPED", "CANCELLED"]),
                        ("SHIPPED", ["CANCELLED"])):
        response = manager_api.post(transition_url(order), {"to": to, "note": "by phone"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == to.upper()
        assert response.json()["allowed_transitions"] == allowed
    assert order.events.last().message == "Shipped by the supplier. by phone"


@pytest.mark.parametrize(("to", "status"), [("SHIPPED", "DRAFT"), ("RECEIVED", "SHIPPED"),
                                            ("PARTIALLY_RECEIVED", "SHIPPED"), ("CANCELLED", "RECEIVED")])
def test_purchase_order_transition_view_illegal_is_409_naming_why(manager_api, default_location, to, status):
    order = order_in_status(status)
    before = _state()

    response = manager_api.post(transition_url(order), {"to": to}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert order.number in body["detail"] and "Allowed next:" in body["detail"]
    assert (body["status"], body["to"]) == (status, to)
    assert _state() == before


@pytest.mark.parametrize("body", [{}, {"to": "SENT"}, {"to": ""}, {"to": 3}, {"to": "PENDING", "note": "x" * 301}])
def test_purchase_order_transition_view_bad_status_is_400(manager_api, catalogue, body):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 2))

    response = manager_api.post(transition_url(order), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) & {"to", "note"}
    order.refresh_from_db()
    assert order.status == S.DRAFT


def test_purchase_order_transition_view_staff_403_anonymous_401(staff_api, api_client, catalogue):
    supplier, a, _ = catalogue
    order = order_create(supplier, (a, 2))

    assert staff_api.post(transition_url(order), {"to": "PENDING"}, format="json").status_code == 403
    assert api_client.post(transition_url(order), {"to": "PENDING"}, format="json").status_code == 401
    order.refresh_from_db()
    assert order.status == S.DRAFT


# --- receive ---------------------------------------------------------------------

@pytest.mark.smoke
def test_purchase_order_receive_view_201_then_replay_200(manager_api, shipped, other_location):
    line_a, line_b = shipped.lines.order_by("pk")
    body = {"lines": [{"line": line_a.pk, "quantity": 6}, {"line": line_b.pk, "quantity": 4, "location": "store"}],
            "idempotency_key": "delivery-1", "notes": "Pallet 1"}

    response = manager_api.post(receive_url(shipped), body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == {"receipt", "order"}
    receipt = data["receipt"]
    assert [set(line) for line in receipt["lines"]] == [RECEIPT_LINE_KEYS, RECEIPT_LINE_KEYS]
    movements = list(StockMovement.objects.filter(purchase_order=shipped).order_by("pk"))
    assert receipt["lines"] == [
        {"line": line_a.pk, "sku": line_a.variant.sku, "quantity": 6, "location": "main", "movement": movements[0].pk},
        {"line": line_b.pk, "sku": line_b.variant.sku, "quantity": 4, "location": "store", "movement": movements[1].pk},
    ]
    assert all(m.type == MovementType.RESTOCK and m.supplier_id == shipped.supplier_id for m in movements)
    order = data["order"]
    assert order["status"] == "PARTIALLY_RECEIVED"
    assert [line["quantity_received"] for line in order["lines"]] == [6, 4]
    assert [line["quantity_outstanding"] for line in order["lines"]] == [4, 6]
    assert (level_of(line_a.variant).on_hand, level_of(line_b.variant, other_location).on_hand) == (6, 4)

    replay = manager_api.post(receive_url(shipped), body, format="json")

    assert replay.status_code == 200
    assert replay.json()["receipt"] == receipt
    assert level_of(line_a.variant).on_hand == 6
    assert Receipt.objects.count() == 1

    final = manager_api.post(receive_url(shipped), {"lines": [{"line": line_a.pk, "quantity": 4},
                                                              {"line": line_b.pk, "quantity": 6, "location": "store"}],
                                                    "idempotency_key": "delivery-2"}, format="json")
    assert final.status_code == 201
    assert final.json()["order"]["status"] == "RECEIVED"
    assert final.json()["order"]["received_date"] is not None
    assert final.json()["order"]["allowed_transitions"] == []


def test_purchase_order_receive_view_over_receipt_409_then_accepted(manager_api, shipped):
    line_a, _ = shipped.lines.order_by("pk")
    body = {"lines": [{"line": line_a.pk, "quantity": 12}], "idempotency_key": "over"}
    before = _state()

    refused = manager_api.post(receive_url(shipped), body, format="json")
    no_reason = manager_api.post(receive_url(shipped), {**body, "accept_over_receipt": True}, format="json")

    assert refused.status_code == 409
    assert refused.json()["lines"] == [{"line": line_a.pk, "sku": line_a.variant.sku, "ordered": 10, "received": 0,
                                        "receiving": 12, "outstanding": 10}]
    assert "accept over-receipt" in refused.json()["detail"]
    assert no_reason.status_code == 400 and "over_receipt_reason" in no_reason.json()
    assert _state() == before

    accepted = manager_api.post(receive_url(shipped), {**body, "accept_over_receipt": True,
                                                       "over_receipt_reason": "Free samples"}, format="json")

    assert accepted.status_code == 201
    assert accepted.json()["receipt"]["over_receipt_reason"] == "Free samples"
    assert accepted.json()["order"]["lines"][0]["quantity_received"] == 12
    assert level_of(line_a.variant).on_hand == 12


def test_purchase_order_receive_view_staff_may_receive_without_seeing_costs(staff_api, shipped):
    line_a, _ = shipped.lines.order_by("pk")

    response = staff_api.post(receive_url(shipped), {"lines": [{"line": line_a.pk, "quantity": 1}],
                                                     "idempotency_key": "staff-1"}, format="json")

    assert response.status_code == 201
    order = response.json()["order"]
    assert set(order) == ORDER_KEYS - MONEY_KEYS
    assert all(set(line) == LINE_KEYS - LINE_MONEY_KEYS for line in order["lines"])
    assert Receipt.objects.get().user.username == "staff"


@pytest.mark.parametrize(("change", "field"), [
    ({"idempotency_key": None}, "idempotency_key"),
    ({"idempotency_key": ""}, "idempotency_key"),
    ({"idempotency_key": "k" * 201}, "idempotency_key"),
    ({"lines": []}, "lines"),
    ({"lines": [{"line": "first", "quantity": 1}]}, "lines"),
    ({"lines": [{"line": 1, "quantity": -1}]}, "lines"),
    ({"lines": [{"line": 1, "quantity": 1.5}]}, "lines"),
    ({"over_receipt_reason": "r" * 201}, "over_receipt_reason"),
    ({"accept_over_receipt": "maybe"}, "accept_over_receipt"),
])
def test_purchase_order_receive_view_bad_input_is_400(manager_api, shipped, change, field):
    body = {"lines": [{"line": shipped.lines.first().pk, "quantity": 1}], "idempotency_key": "k", **change}
    before = _state()

    response = manager_api.post(receive_url(shipped), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert _state() == before


@pytest.mark.parametrize(("change", "message", "errors"), [
    ({"lines": [{"line": 1, "quantity": 1, "location": "nowhere"}]}, "Unknown location 'nowhere'.",
     {"lines": [{"location": ["Unknown location 'nowhere'."]}]}),
])
def test_purchase_order_receive_view_unknown_reference_is_404(manager_api, shipped, change, message, errors):
    body = {"lines": [{"line": shipped.lines.first().pk, "quantity": 1}], "idempotency_key": "k", **change}
    before = _state()

    response = manager_api.post(receive_url(shipped), body, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": message, **errors}
    assert _state() == before


def test_purchase_order_receive_view_unknown_location_is_404_naming_it(manager_api, shipped):
    body = {"lines": [{"line": shipped.lines.first().pk, "quantity": 1, "location": "nowhere"}], "idempotency_key": "k"}
    before = _state()

    response = manager_api.post(receive_url(shipped), body, format="json")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Unknown location 'nowhere'.",
        "lines": [{"location": ["Unknown location 'nowhere'."]}],
    }
    assert _state() == before


def test_purchase_order_receive_view_line_of_another_order_and_inactive_location_are_400(manager_api, shipped):
    other = order_in_status(S.SHIPPED)
    factories.LocationFactory(code="closed", active=False)
    before = _state()

    foreign = manager_api.post(receive_url(shipped), {"lines": [{"line": other.lines.get().pk, "quantity": 1}],
                                                      "idempotency_key": "k"}, format="json")
    closed = manager_api.post(receive_url(shipped), {
        "lines": [{"line": shipped.lines.first().pk, "quantity": 1, "location": "closed"}], "idempotency_key": "k"},
        format="json")

    assert foreign.status_code == 400 and f"not part of {shipped.number}" in foreign.json()["lines"][0]
    assert closed.status_code == 400 and "inactive" in closed.json()["lines"][0]
    assert _state() == before


def test_purchase_order_receive_view_not_confirmed_and_foreign_key_are_409(manager_api, shipped, catalogue):
    supplier, a, _ = catalogue
    confirmed = order_in_status(S.PENDING, supplier=supplier, variants=[a])
    first = manager_api.post(receive_url(shipped), {"lines": [{"line": shipped.lines.first().pk, "quantity": 1}],
                                                    "idempotency_key": "taken"}, format="json")
    assert first.status_code == 201
    other = order_in_status(S.SHIPPED)
    before = _state()

    early = manager_api.post(receive_url(confirmed), {"lines": [{"line": confirmed.lines.get().pk, "quantity": 1}],
                                                      "idempotency_key": "early"}, format="json")
    reused = manager_api.post(receive_url(other), {"lines": [{"line": other.lines.get().pk, "quantity": 1}],
                                                   "idempotency_key": "taken"}, format="json")

    assert early.status_code == 409 and "once the supplier has confirmed it" in early.json()["detail"]
    assert reused.status_code == 409 and "idempotency_key" in reused.json()
    assert _state() == before


def test_purchase_order_receive_view_confirmed_order_is_received(manager_api, catalogue, default_location):
    supplier, a, _ = catalogue
    confirmed = order_in_status(S.CONFIRMED, supplier=supplier, variants=[a], quantity=4)
    line = confirmed.lines.get()

    response = manager_api.post(receive_url(confirmed), {"lines": [{"line": line.pk, "quantity": 4}],
                                                         "idempotency_key": "no-notice"}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["order"]["status"] == "RECEIVED"
    assert level_of(a).on_hand == 4


def test_purchase_order_receive_view_customer_403_anonymous_401(customer_api, api_client, shipped):
    body = {"lines": [{"line": shipped.lines.first().pk, "quantity": 1}], "idempotency_key": "k"}

    assert customer_api.post(receive_url(shipped), body, format="json").status_code == 403
    assert api_client.post(receive_url(shipped), body, format="json").status_code == 401
    assert not Receipt.objects.exists()
