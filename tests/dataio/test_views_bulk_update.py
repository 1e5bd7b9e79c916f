import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import StockMovement

pytestmark = pytest.mark.django_db

URL = reverse("dataio:bulk_update")


def _post(client, rows, action, **extra):
    data = {name: [row.get(name, "") for row in rows] for name in ("sku", "location", "type", "quantity", "reason")}
    return client.post(URL, {**data, "action": action}, **extra)


def _csv(text: str, name="bulk.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _on_hand(level) -> int:
    level.refresh_from_db()
    return level.on_hand


def test_bulk_update_view_shows_the_form(staff_client):
    response = staff_client.get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Bulk stock update" in body and "Add row" in body and "Apply all" in body
    assert 'name="sku"' in body and "<script>" not in body


def test_bulk_update_view_add_row_fragment(staff_client):
    response = staff_client.get(URL + "?add_row=1", HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith('<tr class="bulk-row') and "<html" not in body


def test_bulk_update_view_needs_adjust_permission(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="Customer"))
    assert client.get(URL).status_code in (302, 403)
    assert client.post(URL, {"action": "apply"}).status_code in (302, 403)


def test_bulk_update_view_preview_shows_before_and_after_without_writing(staff_client, stocked):
    a, b = stocked(10), stocked(3)
    count = StockMovement.objects.count()

    response = _post(staff_client, [
        {"sku": a.variant.sku, "quantity": "-4", "reason": "Shelf check"},
        {"sku": b.variant.sku, "type": "RESTOCK", "quantity": "5", "reason": "Found a box"},
        {},
    ], "preview")

    body = response.content.decode()
    assert response.status_code == 200
    assert "10 → 6" in body and "3 → 8" in body
    assert (_on_hand(a), _on_hand(b)) == (10, 3)
    assert StockMovement.objects.count() == count


def test_bulk_update_view_preview_htmx_returns_the_form_fragment(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, [{"sku": level.variant.sku, "quantity": "-20", "reason": "Lost"}], "preview",
                     HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith('<form method="post"') and "<html" not in body
    assert "20 requested, 10 available" in body and "10 → -10" in body


def test_bulk_update_view_applies_changes_every_line(staff_client, stocked, staff_user):
    a, b = stocked(10), stocked(3)

    response = _post(staff_client, [
        {"sku": a.variant.sku, "quantity": "-4", "reason": "Shelf check"},
        {"sku": b.variant.sku, "type": "DAMAGE", "quantity": "-1", "reason": "Broken"},
    ], "apply")

    assert response.status_code == 302 and response["Location"] == URL + "?applied=2"
    assert (_on_hand(a), _on_hand(b)) == (6, 2)
    assert set(StockMovement.objects.filter(user=staff_user).values_list("type", "delta")) == {
        ("ADJUSTMENT", -4), ("DAMAGE", -1),
    }
    page = staff_client.get(response["Location"]).content.decode()
    assert "2 lines applied." in page
    assert f"/inventory/history/?user={staff_user.pk}" in page


def test_bulk_update_view_applies_htmx_redirects_the_page(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, [{"sku": level.variant.sku, "quantity": "2", "reason": "Found"}], "apply",
                     HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and response["HX-Redirect"] == URL + "?applied=1"
    assert _on_hand(level) == 12


def test_bulk_update_view_applies_is_all_or_nothing_naming_the_line(staff_client, stocked):
    a, b = stocked(10), stocked(1)
    count = StockMovement.objects.count()

    response = _post(staff_client, [
        {"sku": a.variant.sku, "quantity": "-4", "reason": "Shelf check"},
        {"sku": b.variant.sku, "quantity": "-2", "reason": "Shelf check"},
    ], "apply")

    body = response.content.decode()
    assert response.status_code == 409  # a shortfall is a conflict with the stock, as everywhere
    assert f"Not enough stock of {b.variant.sku} at main: 2 requested, 1 available. Nothing was changed." in body
    assert (_on_hand(a), _on_hand(b)) == (10, 1)
    assert StockMovement.objects.count() == count


def test_bulk_update_view_row_errors_are_shown_inline(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, [
        {"sku": "NOPE-1", "quantity": "1", "reason": "x"},
        {"sku": level.variant.sku, "quantity": "abc", "reason": "x"},
        {"sku": level.variant.sku, "quantity": "2", "reason": ""},
        {"sku": level.variant.sku, "type": "RESTOCK", "quantity": "-2", "reason": "x"},
    ], "apply")

    body = response.content.decode()
    assert response.status_code == 400
    assert "Unknown SKU NOPE-1." in body
    assert "Enter a whole number" in body
    assert "Enter a reason." in body
    assert _on_hand(level) == 10


def test_bulk_update_view_sign_rule_from_the_service(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, [{"sku": level.variant.sku, "type": "RESTOCK", "quantity": "-2", "reason": "x"}],
                     "apply")

    assert response.status_code == 400
    assert "A RESTOCK raises stock: the change must be positive." in response.content.decode()
    assert _on_hand(level) == 10


def test_bulk_update_view_empty_form_is_refused(staff_client):
    response = _post(staff_client, [{}], "apply")

    assert response.status_code == 400
    assert "Add at least one line" in response.content.decode()


def test_bulk_update_view_refuses_more_than_500_rows(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, [{"sku": level.variant.sku, "quantity": "1", "reason": "x"}] * 501, "apply")

    assert response.status_code == 400
    assert "At most 500 lines" in response.content.decode()
    assert _on_hand(level) == 10


def test_bulk_update_view_other_location(staff_client, stocked, other_location):
    level = stocked(4, location=other_location)

    response = _post(staff_client, [{"sku": level.variant.sku, "location": "store", "quantity": "-1", "reason": "x"}],
                     "apply")

    assert response.status_code == 302
    assert _on_hand(level) == 3


def test_bulk_update_view_csv_upload_fills_rows_and_previews(staff_client, stocked, other_location):
    a = stocked(10)
    b = stocked(2, location=other_location)
    text = (
        "\ufeffSKU,quantity_change,reason,location,type\n"
        f"{a.variant.sku},-3,Count fix,,\n"
        f"{b.variant.sku},4,Delivery,store,restock\n"
    )

    response = staff_client.post(URL, {"action": "upload", "file": _csv(text)})

    body = response.content.decode()
    assert response.status_code == 200
    assert f'value="{a.variant.sku}"' in body and f'value="{b.variant.sku}"' in body
    assert "10 → 7" in body and "2 → 6" in body
    assert '<option value="store" selected>' in body
    assert (_on_hand(a), _on_hand(b)) == (10, 2)


def test_bulk_update_view_csv_upload_with_errors(staff_client, stocked):
    level = stocked(1)
    text = (
        "sku,quantity_change,reason\n"
        "GHOST-9,1,x\n"
        f"{level.variant.sku},1.5,x\n"
        f"{level.variant.sku},-5,Too many\n"
    )

    response = staff_client.post(URL, {"action": "upload", "file": _csv(text)})

    body = response.content.decode()
    assert response.status_code == 400
    assert "Unknown SKU GHOST-9." in body
    assert "Enter a whole number" in body
    assert _on_hand(level) == 1


def test_bulk_update_view_csv_missing_column(staff_client):
    response = staff_client.post(URL, {"action": "upload", "file": _csv("sku,reason\nA,x\n")})

    assert response.status_code == 400
    assert "The file has no quantity_change column" in response.content.decode()


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff\xfe binary", b"sku,quantity_change,reason\n"])
def test_bulk_update_view_csv_bad_files_never_500(staff_client, content):
    response = staff_client.post(URL, {"action": "upload", "file": SimpleUploadedFile("x.csv", content)})

    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()


def test_bulk_update_view_csv_over_500_rows(staff_client, stocked):
    level = stocked(1)
    text = "sku,quantity_change,reason\n" + f"{level.variant.sku},1,x\n" * 501

    response = staff_client.post(URL, {"action": "upload", "file": _csv(text)})

    assert response.status_code == 400
    assert "500" in response.content.decode()
    assert _on_hand(level) == 1


def test_variant_search_view_suggests_skus(staff_client, stocked):
    level = stocked(6)

    response = staff_client.get(reverse("dataio:variant_search"), {"sku": level.variant.sku[:6]},
                                HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert level.variant.sku in response.content.decode()
