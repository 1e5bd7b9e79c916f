import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel, StockMovement
from purchasing.models import PurchaseOrder, ReorderRule
from purchasing.services import PurchaseLineRequest, purchase_order_create
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
URL = "/inventory/alerts/"
REORDER_URL = "/inventory/alerts/reorder/"


def _settings_url(level) -> str:
    return reverse("inventory:level_settings", kwargs={"pk": level.pk})


# --- the alerts page ----------------------------------------------------------------

@pytest.mark.smoke
def test_alert_list_view_renders_full_page_with_critical_and_low_rows(staff_client, stocked):
    critical = stocked(0, threshold=5)
    low = stocked(3, threshold=5)
    fine = stocked(30, threshold=5)

    response = staff_client.get(URL)

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" in text and "Low-stock alerts" in text
    assert f'id="alert-{critical.pk}"' in text and f'id="alert-{low.pk}"' in text
    assert fine.variant.sku not in text
    assert text.index(f'id="alert-{critical.pk}"') < text.index(f'id="alert-{low.pk}"')
    assert '<span class="badge badge-out">Critical</span>' in text
    assert '<span class="badge badge-low">Low</span>' in text
    assert reverse("inventory:variant_detail", kwargs={"sku": low.variant.sku}) in text
    assert "2 alerts" in text
    assert 'js/alerts.js' in text


def test_alert_list_view_staff_sees_no_edit_or_reorder_controls(staff_client, stocked):
    level = stocked(0)

    text = staff_client.get(URL).content.decode()

    assert _settings_url(level) not in text
    assert "Reorder selected" not in text
    assert 'name="level"' not in text


def test_alert_list_view_manager_gets_checkboxes_reorder_button_and_edit(manager_client, stocked):
    level = stocked(0)

    text = manager_client.get(URL).content.decode()

    assert f'name="level" value="{level.pk}" form="alert-reorder"' in text
    assert 'id="alert-reorder" method="post" action="/inventory/alerts/reorder/"' in text
    assert "Reorder selected" in text
    assert f'hx-get="{_settings_url(level)}"' in text


@pytest.mark.smoke
def test_alert_list_view_answers_htmx_with_the_rows_partial(staff_client, stocked):
    level = stocked(2)

    response = staff_client.get(URL, {"q": level.variant.sku}, headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text and 'id="alert-filters"' not in text
    assert f'id="alert-{level.pk}"' in text
    assert "HX-Request" in response["Vary"]


def test_alert_list_view_shows_suggested_quantity_with_moq_round_up_and_supplier(staff_client, stocked):
    plain = stocked(1, threshold=6)
    moq = stocked(1, threshold=6)
    factories.SupplierItemFactory(variant=moq.variant, preferred=True, minimum_order_quantity=40,
                                  supplier__name="Acme Tools")

    response = staff_client.get(URL)

    rows = {level.pk: level for level in response.context["page_obj"]}
    assert rows[plain.pk].suggested_quantity == 12
    assert rows[moq.pk].suggested_quantity == 40
    text = response.content.decode()
    assert "Acme Tools" in text
    assert "min. order 40" in text
    assert '<td class="num suggested">12</td>' in text


def test_alert_list_view_filters_location_and_critical(staff_client, stocked, other_location):
    empty = stocked(0)
    low = stocked(2)
    store = stocked(0, location=other_location)

    def pks(params):
        return {level.pk for level in staff_client.get(URL, params, headers=HX).context["page_obj"]}

    assert pks({}) == {empty.pk, low.pk, store.pk}
    assert pks({"critical": "1"}) == {empty.pk, store.pk}
    assert pks({"location": other_location.code}) == {store.pk}
    assert pks({"location": "nowhere", "critical": "1"}) == {empty.pk, store.pk}  # unknown location ignored


@pytest.mark.parametrize("query", ["?q=%00", "?location=%00", "?page=abc", "?page=9999", "?critical=%00"])
def test_alert_list_view_ignores_garbage_parameters(staff_client, stocked, query):
    stocked(0)

    assert staff_client.get(URL + query).status_code == 200


def test_alert_list_view_says_when_nothing_is_low(staff_client, stocked):
    stocked(50)

    assert "Nothing is low" in staff_client.get(URL).content.decode()


def test_alert_list_view_needs_a_login(client):
    response = client.get(URL)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- nav badge ----------------------------------------------------------------------

def test_nav_badge_shows_the_alert_count(staff_client, stocked):
    stocked(0)
    stocked(2)
    stocked(99)

    text = staff_client.get("/inventory/").content.decode()

    assert '<span class="badge" aria-label="2 stock alerts">2</span>' in text


def test_nav_badge_stops_counting_at_a_hundred(staff_client, stocked, default_location):
    from inventory.models import StockLevel
    from tests.factories import VariantFactory

    StockLevel.objects.bulk_create([StockLevel(variant=VariantFactory(), location=default_location)
                                    for _ in range(100)])

    text = staff_client.get("/inventory/").content.decode()

    assert '<span class="badge" aria-label="99+ stock alerts">99+</span>' in text


def test_nav_badge_absent_when_nothing_is_low(staff_client, stocked):
    stocked(99)

    assert "stock alerts" not in staff_client.get("/inventory/").content.decode()


def test_nav_badge_is_not_counted_by_fragments_that_do_not_show_it(staff_client, stocked):
    level = stocked(0)

    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(reverse("inventory:stock_row", kwargs={"pk": level.pk}))

    assert response.status_code == 200
    assert not any("COUNT(" in query["sql"].upper() for query in queries)


# --- inline edit of threshold and reorder quantity ----------------------------------

def test_level_settings_view_get_with_htmx_answers_the_edit_row(manager_client, stocked):
    level = stocked(2, threshold=5)

    response = manager_client.get(_settings_url(level), headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert f'<tr id="alert-{level.pk}" class="inline-edit">' in text
    assert 'name="low_stock_threshold"' in text and 'value="5"' in text
    assert reverse("inventory:alert_row", kwargs={"pk": level.pk}) in text  # Cancel


def test_level_settings_view_post_with_htmx_saves_and_answers_the_display_row(manager_client, stocked):
    level = stocked(2, threshold=5)
    movements = StockMovement.objects.count()

    response = manager_client.post(_settings_url(level), {"low_stock_threshold": "8", "reorder_quantity": "24"},
                                   headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert "inline-edit" not in text
    assert '<td class="num threshold">8</td>' in text
    assert '<td class="num reorder-quantity">24</td>' in text
    assert '<td class="num suggested">24</td>' in text
    level.refresh_from_db()
    assert (level.low_stock_threshold, level.reorder_quantity, level.on_hand) == (8, 24, 2)
    assert StockMovement.objects.count() == movements


def test_level_settings_view_lowering_the_threshold_shows_the_level_is_fine_now(manager_client, stocked):
    level = stocked(4, threshold=5)

    text = manager_client.post(_settings_url(level), {"low_stock_threshold": "2", "reorder_quantity": "0"},
                               headers=HX).content.decode()

    assert "OK now" in text


@pytest.mark.parametrize("data, field", [
    ({"low_stock_threshold": "-1", "reorder_quantity": "0"}, "low_stock_threshold"),
    ({"low_stock_threshold": "abc", "reorder_quantity": "0"}, "low_stock_threshold"),
    ({"low_stock_threshold": "5", "reorder_quantity": "1.5"}, "reorder_quantity"),
    ({"low_stock_threshold": "5", "reorder_quantity": "2000000"}, "reorder_quantity"),
    ({"low_stock_threshold": "", "reorder_quantity": "3"}, "low_stock_threshold"),
])
def test_level_settings_view_bad_input_answers_the_edit_row_with_the_error(manager_client, stocked, data, field):
    level = stocked(2, threshold=5)

    response = manager_client.post(_settings_url(level), data, headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert "inline-edit" in text and "field-error" in text
    assert response.context["form"].errors[field]
    level.refresh_from_db()
    assert (level.low_stock_threshold, level.reorder_quantity) == (5, 0)


def test_level_settings_view_without_htmx_is_a_page_that_redirects_back(manager_client, stocked):
    level = stocked(2, threshold=5)

    page = manager_client.get(_settings_url(level))
    response = manager_client.post(_settings_url(level), {"low_stock_threshold": "3", "reorder_quantity": "9"})

    assert page.status_code == 200 and "<html" in page.content.decode()
    assert response.status_code == 302 and response["Location"] == URL
    level.refresh_from_db()
    assert (level.low_stock_threshold, level.reorder_quantity) == (3, 9)


def test_level_settings_view_is_refused_to_staff(staff_client, stocked):
    level = stocked(2, threshold=5)

    assert staff_client.get(_settings_url(level), headers=HX).status_code == 403
    response = staff_client.post(_settings_url(level), {"low_stock_threshold": "1", "reorder_quantity": "1"},
                                 headers=HX)

    assert response.status_code == 403
    level.refresh_from_db()
    assert level.low_stock_threshold == 5


def test_level_settings_view_unknown_level_is_404(manager_client):
    assert manager_client.get("/inventory/levels/999999/settings/", headers=HX).status_code == 404


def test_alert_row_view_answers_the_display_row_for_cancel(staff_client, stocked):
    level = stocked(1)

    response = staff_client.get(reverse("inventory:alert_row", kwargs={"pk": level.pk}), headers=HX)

    assert response.status_code == 200
    assert f'<tr id="alert-{level.pk}"' in response.content.decode()
    assert "inline-edit" not in response.content.decode()


# --- quick reorder ------------------------------------------------------------------

def test_alert_reorder_view_drafts_one_order_per_supplier_and_extends_a_draft(manager_client, stocked):
    acme, bolt = factories.SupplierFactory(name="Acme"), factories.SupplierFactory(name="Bolt")
    a = stocked(1, threshold=5)
    b = stocked(0, threshold=3)
    factories.SupplierItemFactory(supplier=acme, variant=a.variant, preferred=True)
    factories.SupplierItemFactory(supplier=bolt, variant=b.variant, preferred=True)
    existing = purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=factories.VariantFactory(),
                                                                               quantity=2)])

    response = manager_client.post(REORDER_URL, {"level": [a.pk, b.pk]})

    assert response.status_code == 200
    text = response.content.decode()
    assert PurchaseOrder.objects.filter(supplier=acme).count() == 1
    assert PurchaseOrder.objects.filter(supplier=bolt).count() == 1
    new = PurchaseOrder.objects.get(supplier=bolt)
    assert f'href="/purchase-orders/{existing.pk}/"' in text and existing.number in text
    assert f'href="/purchase-orders/{new.pk}/"' in text and new.number in text
    assert "Added to existing draft" in text and "New draft" in text
    assert existing.lines.get(variant=a.variant).quantity_ordered == 10
    assert new.lines.get().quantity_ordered == 6


def test_alert_reorder_view_nothing_selected_drafts_nothing(manager_client, stocked):
    stocked(0)

    response = manager_client.post(REORDER_URL, {}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert "Select at least one alert" in response.content.decode()
    assert PurchaseOrder.objects.count() == 0


@pytest.mark.parametrize("levels", [["abc"], ["999999"], ["1\x00"]])
def test_alert_reorder_view_bad_selection_drafts_nothing(manager_client, stocked, levels):
    stocked(0)

    response = manager_client.post(REORDER_URL, {"level": levels})

    assert response.status_code == 302
    assert PurchaseOrder.objects.count() == 0


def test_alert_reorder_view_lists_skus_without_supplier_then_drafts_with_the_chosen_one(manager_client, stocked):
    orphan = stocked(0, threshold=4)
    chosen = factories.SupplierFactory(name="Chosen Ltd")
    factories.SupplierFactory(name="Dormant", active=False)

    first = manager_client.post(REORDER_URL, {"level": [orphan.pk]})

    text = first.content.decode()
    assert first.status_code == 200
    assert PurchaseOrder.objects.count() == 0
    assert f'name="supplier_{orphan.variant.pk}"' in text
    assert f'<input type="hidden" name="level" value="{orphan.pk}">' in text
    assert "Chosen Ltd" in text and "Dormant" not in text

    second = manager_client.post(REORDER_URL, {"level": [orphan.pk], f"supplier_{orphan.variant.pk}": chosen.pk})

    assert second.status_code == 200
    order = PurchaseOrder.objects.get()
    assert order.supplier == chosen
    assert order.lines.get().quantity_ordered == 8
    assert order.number in second.content.decode()


def test_alert_reorder_view_refuses_an_unknown_or_inactive_supplier_choice(manager_client, stocked):
    orphan = stocked(0)
    dormant = factories.SupplierFactory(active=False)

    for value in (dormant.pk, 999999, "abc"):
        response = manager_client.post(REORDER_URL, {"level": [orphan.pk], f"supplier_{orphan.variant.pk}": value})
        assert response.status_code == 400
        assert "choose one of the listed active suppliers" in response.content.decode()
    assert PurchaseOrder.objects.count() == 0


def test_alert_reorder_view_is_refused_to_staff(staff_client, stocked):
    level = stocked(0)
    factories.SupplierItemFactory(variant=level.variant, preferred=True)

    assert staff_client.post(REORDER_URL, {"level": [level.pk]}).status_code == 403
    assert PurchaseOrder.objects.count() == 0


# --- reorder rule on the variant page ------------------------------------------------

def _rule_url(variant) -> str:
    return reverse("inventory:reorder_rule", kwargs={"sku": variant.sku})


def test_variant_detail_shows_the_rule_form_to_managers_only(client, manager_user, staff_user, stocked):
    level = stocked(3)
    page = reverse("inventory:variant_detail", kwargs={"sku": level.variant.sku})

    client.force_login(manager_user)
    manager_text = client.get(page).content.decode()
    client.force_login(staff_user)
    staff_text = client.get(page).content.decode()

    assert 'id="reorder-rule"' in manager_text and f'hx-post="{_rule_url(level.variant)}"' in manager_text
    assert "No min/max rule" in manager_text
    assert 'id="reorder-rule"' not in staff_text


def test_reorder_rule_view_htmx_post_saves_and_answers_the_section(manager_client, stocked, other_location):
    level = stocked(3)

    response = manager_client.post(_rule_url(level.variant), {"min_quantity": "5", "max_quantity": "30",
                                                              "location": other_location.code, "active": "on"},
                                   headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text and 'id="reorder-rule"' in text
    assert "Reorder rule for" in text  # the message travels with the section
    rule = ReorderRule.objects.get(variant=level.variant)
    assert (rule.min_quantity, rule.max_quantity, rule.location, rule.active) == (5, 30, other_location, True)
    assert "Remove rule" in text


def test_reorder_rule_view_bad_input_keeps_the_typed_values_and_names_the_field(manager_client, stocked):
    level = stocked(3)

    response = manager_client.post(_rule_url(level.variant), {"min_quantity": "10", "max_quantity": "4"}, headers=HX)

    assert response.status_code == 200
    assert "The maximum must be more than the minimum" in response.content.decode()
    assert 'value="10"' in response.content.decode()
    assert not ReorderRule.objects.exists()


def test_reorder_rule_view_without_htmx_redirects_to_the_variant(manager_client, stocked):
    level = stocked(3)

    response = manager_client.post(_rule_url(level.variant), {"min_quantity": "1", "max_quantity": "4"})
    bad = manager_client.post(_rule_url(level.variant), {"min_quantity": "x", "max_quantity": "4"})

    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:variant_detail", kwargs={"sku": level.variant.sku})
    assert ReorderRule.objects.get(variant=level.variant).active is False  # the box was not ticked
    assert bad.status_code == 400 and "<html" in bad.content.decode()


def test_reorder_rule_delete_view_removes_the_rule(manager_client, stocked):
    level = stocked(3)
    ReorderRule.objects.create(variant=level.variant, min_quantity=1, max_quantity=5)

    response = manager_client.post(reverse("inventory:reorder_rule_delete", kwargs={"sku": level.variant.sku}),
                                   headers=HX)

    assert response.status_code == 200
    assert "No min/max rule" in response.content.decode()
    assert not ReorderRule.objects.exists()


def test_reorder_rule_views_are_refused_to_staff(staff_client, stocked):
    level = stocked(3)
    ReorderRule.objects.create(variant=level.variant, min_quantity=1, max_quantity=5)

    assert staff_client.post(_rule_url(level.variant), {"min_quantity": "0", "max_quantity": "9"}).status_code == 403
    assert staff_client.post(
        reverse("inventory:reorder_rule_delete", kwargs={"sku": level.variant.sku})).status_code == 403
    assert ReorderRule.objects.get().max_quantity == 5
    assert StockLevel.objects.count() == 1
