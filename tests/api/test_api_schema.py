import re
from io import StringIO

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

SCHEMA_URL = "/api/v1/schema/"
DOCS_URL = "/api/v1/docs/"

OPERATIONS = {
    ("/api/v1/", "get"): "api_root",
    ("/api/v1/stock/", "get"): "stock_list",
    ("/api/v1/stock/{sku}/", "get"): "stock_detail",
    ("/api/v1/stock/adjust/", "post"): "stock_adjust",
    ("/api/v1/stock/count/", "post"): "stock_count",
    ("/api/v1/stock/transfer/", "post"): "stock_transfer",
    ("/api/v1/stock/low/", "get"): "stock_low_list",
    ("/api/v1/movements/", "get"): "movement_list",
    ("/api/v1/cart/validate/", "post"): "cart_validate",
    ("/api/v1/reservations/", "get"): "reservation_list",
    ("/api/v1/reservations/", "post"): "reservation_create",
    ("/api/v1/reservations/{id}/", "get"): "reservation_detail",
    ("/api/v1/reservations/{id}/commit/", "post"): "reservation_commit",
    ("/api/v1/reservations/{id}/release/", "post"): "reservation_release",
    ("/api/v1/checkout/", "post"): "checkout_create",
    ("/api/v1/orders/", "get"): "order_list",
    ("/api/v1/orders/", "post"): "order_create",
    ("/api/v1/orders/{number}/", "get"): "order_detail",
    ("/api/v1/orders/{number}/transition/", "post"): "order_transition",
    ("/api/v1/orders/{number}/", "patch"): "order_update",
    ("/api/v1/orders/{number}/payments/", "post"): "order_payment_record",
    ("/api/v1/purchase-orders/", "get"): "purchase_order_list",
    ("/api/v1/purchase-orders/", "post"): "purchase_order_create",
    ("/api/v1/purchase-orders/{po_id}/", "get"): "purchase_order_detail",
    ("/api/v1/purchase-orders/{po_id}/", "patch"): "purchase_order_partial_update",
    ("/api/v1/purchase-orders/{po_id}/", "put"): "purchase_order_update",
    ("/api/v1/purchase-orders/{po_id}/", "delete"): "purchase_order_delete",
    ("/api/v1/purchase-orders/{po_id}/transition/", "post"): "purchase_order_transition",
    ("/api/v1/purchase-orders/{po_id}/receive/", "post"): "purchase_order_receive",
    ("/api/v1/products/", "get"): "product_list",
    ("/api/v1/products/", "post"): "product_create",
    ("/api/v1/products/{product_id}/", "get"): "product_detail",
    ("/api/v1/products/{product_id}/", "patch"): "product_update",
    ("/api/v1/products/{product_id}/", "delete"): "product_delete",
    ("/api/v1/products/{product_id}/archive/", "post"): "product_archive",
    ("/api/v1/products/{product_id}/variants/", "get"): "product_variant_list",
    ("/api/v1/products/{product_id}/variants/", "post"): "product_variants_add",
    ("/api/v1/products/{product_id}/variants/{variant_id}/", "get"): "product_variant_detail",
    ("/api/v1/products/{product_id}/variants/{variant_id}/", "patch"): "product_variant_update",
    ("/api/v1/products/{product_id}/variants/{variant_id}/", "delete"): "product_variant_delete",
    ("/api/v1/categories/", "get"): "category_list",
    ("/api/v1/categories/", "post"): "category_create",
    ("/api/v1/categories/{category_id}/", "get"): "category_detail",
    ("/api/v1/categories/{category_id}/", "patch"): "category_update",
    ("/api/v1/categories/{category_id}/", "delete"): "category_delete",
    ("/api/v1/locations/", "get"): "location_list",
    ("/api/v1/locations/", "post"): "location_create",
    ("/api/v1/locations/{location_id}/", "get"): "location_detail",
    ("/api/v1/locations/{location_id}/", "patch"): "location_update",
    ("/api/v1/suppliers/", "get"): "supplier_list",
    ("/api/v1/suppliers/", "post"): "supplier_create",
    ("/api/v1/suppliers/{supplier_id}/", "get"): "supplier_detail",
    ("/api/v1/suppliers/{supplier_id}/", "put"): "supplier_update",
    ("/api/v1/suppliers/{supplier_id}/", "patch"): "supplier_partial_update",
    ("/api/v1/suppliers/{supplier_id}/", "delete"): "supplier_delete",
    ("/api/v1/suppliers/{supplier_id}/items/", "get"): "supplier_item_list",
    ("/api/v1/suppliers/{supplier_id}/items/", "post"): "supplier_item_create",
    ("/api/v1/suppliers/{supplier_id}/items/{item_id}/", "get"): "supplier_item_detail",
    ("/api/v1/suppliers/{supplier_id}/items/{item_id}/", "patch"): "supplier_item_update",
    ("/api/v1/suppliers/{supplier_id}/items/{item_id}/", "delete"): "supplier_item_delete",
    ("/api/v1/exports/", "get"): "export_list",
    ("/api/v1/exports/", "post"): "export_create",
    ("/api/v1/exports/{export_id}/", "get"): "export_detail",
    ("/api/v1/exports/{export_id}/download/", "get"): "export_download",
    ("/api/v1/exports/templates/{import_type}.{fmt}", "get"): "export_template",
    ("/api/v1/imports/", "get"): "import_list",
    ("/api/v1/imports/", "post"): "import_create",
    ("/api/v1/imports/{import_id}/", "get"): "import_detail",
    ("/api/v1/imports/{import_id}/process/", "post"): "import_process",
    ("/api/v1/imports/{import_id}/undo/", "post"): "import_undo",
    ("/api/v1/imports/{import_id}/errors/", "get"): "import_errors",
    ("/api/v1/backups/", "get"): "backup_list",
    ("/api/v1/backups/", "post"): "backup_create",
    ("/api/v1/backups/{backup_id}/", "get"): "backup_detail",
    ("/api/v1/backups/{backup_id}/", "delete"): "backup_delete",
    ("/api/v1/backups/{backup_id}/download/", "get"): "backup_download",
    ("/api/v1/backups/{backup_id}/verify/", "post"): "backup_verify",
    ("/api/v1/backups/{backup_id}/restore/", "post"): "backup_restore",
    ("/api/v1/restores/{run_id}/", "get"): "restore_detail",
}


@pytest.fixture
def schema(staff_api):
    response = staff_api.get(SCHEMA_URL, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.smoke
def test_schema_view_lists_every_operation(schema):
    found = {
        (path, method): operation["operationId"]
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }

    assert schema["openapi"].startswith("3.")
    assert found == OPERATIONS


def test_schema_view_describes_the_stock_row_and_requests(schema):
    components = schema["components"]["schemas"]

    assert set(components["StockRow"]["required"]) >= {
        "sku", "product", "location", "on_hand", "reserved", "available", "low_stock_threshold", "is_low", "is_out",
    }
    assert set(components["StockAdjustRequest"]["required"]) == {"sku", "quantity", "type", "reason"}
    assert set(components["StockCountRequest"]["required"]) == {"sku", "counted", "reason"}
    assert set(components["StockTransferRequest"]["required"]) == {"sku", "from_location", "to_location", "quantity", "reason"}
    assert set(components["StockTransferResult"]["properties"]) == {"from", "to", "movements"}
    assert components["StockAdjustRequest"]["properties"]["quantity"]["maximum"] == 1_000_000_000
    assert components["StockAdjustRequest"]["properties"]["quantity"]["not"] == {"enum": [0]}
    assert components["StockAdjustRequest"]["properties"]["sku"]["minLength"] == 1


def test_schema_view_every_operation_documents_the_common_errors_as_json(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403", "404", "406"} <= set(responses), f"{method} {path}"
            if "requestBody" in operation:
                assert {"400", "415"} <= set(responses), f"{method} {path}"
                assert set(operation["requestBody"]["content"]) <= {"application/json", "multipart/form-data"}
            for code in ("401", "403", "404"):
                assert set(responses[code]["content"]) == {"application/json"}, f"{method} {path} {code}"


def test_schema_view_export_body_is_required_and_typed_per_export_type(schema):
    body = schema["paths"]["/api/v1/exports/"]["post"]["requestBody"]
    variants = body["content"]["application/json"]["schema"]["oneOf"]
    by_type = {variant["properties"]["type"]["enum"][0]: variant for variant in variants}

    assert body["required"] is True
    assert set(by_type["products"]["properties"]["filters"]["properties"]) == {"category", "active", "q"}
    assert by_type["products"]["properties"]["filters"]["additionalProperties"] is False
    assert by_type["categories"]["properties"]["filters"]["properties"] == {}


def test_schema_view_says_the_sign_of_an_adjustment_and_the_over_receipt_reason(schema):
    adjust = schema["paths"]["/api/v1/stock/adjust/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    receive = schema["paths"]["/api/v1/purchase-orders/{po_id}/receive/"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]

    signs = {tuple(v["properties"]["type"]["enum"]): v["properties"].get("quantity") for v in adjust["allOf"][1]["oneOf"]}
    assert signs[("SALE", "DAMAGE")] == {"maximum": -1}
    assert signs[("REFUND", "RESTOCK", "RETURN")] == {"minimum": 1}
    accepting = receive["allOf"][1]["oneOf"][1]
    assert accepting["required"] == ["accept_over_receipt", "over_receipt_reason"]


def test_schema_view_page_parameters_say_their_range(schema):
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/stock/"]["get"]["parameters"]}

    assert parameters["page"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 500}


def test_schema_view_documents_error_codes(schema):
    adjust = schema["paths"]["/api/v1/stock/adjust/"]["post"]["responses"]
    transfer = schema["paths"]["/api/v1/stock/transfer/"]["post"]["responses"]

    assert {"200", "201", "400", "401", "403", "404", "409"} <= set(adjust)
    assert {"201", "400", "401", "403", "404", "409"} <= set(transfer)
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}


def test_schema_view_documents_reservations_checkout_and_orders(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]

    assert {"200", "201", "400", "401", "403", "404", "409"} <= set(paths["/api/v1/reservations/"]["post"]["responses"])
    assert {"201", "400", "401", "403", "404", "409", "502", "503"} <= set(paths["/api/v1/checkout/"]["post"]["responses"])
    assert {"200", "400", "403", "404", "409"} <= set(paths["/api/v1/orders/{number}/transition/"]["post"]["responses"])
    assert set(components["ReservationCreateRequest"]["required"]) == {"reference", "lines"}
    assert set(components["CheckoutRequest"]["required"]) == {"lines", "success_url", "cancel_url"}
    assert set(components["OrderTransitionRequest"]["required"]) == {"to"}
    assert set(components["Reservation"]["properties"]) == {
        "id", "reference", "status", "expires_at", "seconds_left", "lines",
    }
    order = components["Order"]
    assert {"number", "status", "lines", "reservation", "allowed_transitions"} <= set(order["required"])
    assert not {"total", "amount_paid", "amount_refunded"} & set(order["required"])  # only with view_prices


def test_schema_view_anonymous_gets_401(api_client):
    assert api_client.get(SCHEMA_URL).status_code == 401


def test_schema_command_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    # --fail-on-warn raises on any generator warning, --validate on an invalid document
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO())

    document = yaml.safe_load(target.read_text())
    assert "/api/v1/stock/adjust/" in document["paths"]


@pytest.mark.smoke
def test_api_docs_view_renders_swagger_ui_without_inline_script(client, staff_user):
    client.force_login(staff_user)

    response = client.get(DOCS_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-schema-url="/api/v1/schema/"' in html
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "vendor/swagger-ui/swagger-ui.css" in html
    assert "js/api-docs.js" in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_api_docs_view_static_assets_exist():
    assert finders.find("js/api-docs.js")
    assert finders.find("vendor/swagger-ui/swagger-ui-bundle.js")
    assert finders.find("vendor/swagger-ui/swagger-ui.css")


def test_api_docs_view_anonymous_is_sent_to_login(client):
    response = client.get(DOCS_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_api_docs_view_role_without_permission_gets_403(client, customer_user):
    client.force_login(customer_user)

    assert client.get(DOCS_URL).status_code == 403
