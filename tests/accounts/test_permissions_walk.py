"""Walk every URL pattern of the project as anonymous, Staff and Manager.

A new URL is covered automatically: it must fit one of the expectations below, so a
page that forgets its login or role check fails here.
"""
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

PUBLIC = {"healthz", "accounts:login", "stripe_webhook", "favicon"}  # the icon redirects to a static file
MANAGER_ONLY = {
    "inventory:stock_transfer",
    "inventory:level_settings",
    "inventory:alert_reorder",
    "inventory:reorder_rule",
    "inventory:reorder_rule_delete",
    "api:stock_transfer",
    "api:purchase_order_transition",
    "orders:order_return",
    "orders:order_refund_lines",
    "purchasing:order_create",
    "purchasing:order_edit",
    "purchasing:order_delete",
    "purchasing:order_transition",
    "purchasing:variant_search",
    "purchasing:line_row",
    "api:reservation_commit",
    "api:reservation_release",
    "api:order_payment",
    "orders:order_payment",
    "suppliers:supplier_create",
    "suppliers:supplier_edit",
    "suppliers:supplier_delete",
    "suppliers:supplier_deactivate",
    "suppliers:supplier_activate",
    "suppliers:supplier_item_create",
    "suppliers:supplier_item_edit",
    "suppliers:supplier_item_delete",
    "suppliers:variant_search",
    "dataio:import_undo",
    "api:import_undo",
    # The catalogue: Staff look, Managers and Admins change.
    "products:product_create",
    "products:product_edit",
    "products:product_archive",
    "products:product_restore",
    "products:product_delete",
    "products:variant_add",
    "products:variant_edit",
    "products:variant_archive",
    "products:variant_restore",
    "products:variant_delete",
    "categories:category_create",
    "categories:category_edit",
    "categories:category_archive",
    "categories:category_restore",
    "categories:category_delete",
    "locations:location_create",
    "locations:location_edit",
    "locations:location_default",
    "locations:location_deactivate",
    "locations:location_activate",
    "api:product_archive",
}
# Backups: the Admin role only. Managers and Staff get 403 on every page and endpoint.
ADMIN_ONLY = {
    "backups:backup_list",
    "backups:restore_upload",
    "backups:restore_detail",
    "backups:restore_again",
    "backups:schedule",
    "backups:backup_detail",
    "backups:backup_status",
    "backups:backup_download",
    "backups:backup_delete",
    "backups:backup_verify",
    "backups:backup_restore",
    "api:backup_list",
    "api:backup_detail",
    "api:backup_download",
    "api:backup_verify",
    "api:backup_restore",
    "api:restore_detail",
}
POST_ONLY = {
    "api:order_payment",
    "inventory:alert_reorder",
    "inventory:reorder_rule_delete",
    "api:stock_adjust",
    "api:stock_count",
    "api:stock_transfer",
    "api:cart_validate",
    "api:purchase_order_transition",
    "api:purchase_order_receive",
    "api:checkout",
    "api:order_transition",
    "api:reservation_commit",
    "api:reservation_release",
    "accounts:logout",
    "api:import_process",
    "api:import_undo",
    "api:backup_verify",
    "api:backup_restore",
    "products:product_archive",
    "products:product_restore",
    "products:variant_archive",
    "products:variant_restore",
    "categories:category_archive",
    "categories:category_restore",
    "categories:category_delete",
    "locations:location_default",
    "locations:location_deactivate",
    "locations:location_activate",
    "api:product_archive",
}
# POST-only endpoints that act on an existing object: an empty body is not bad input there.
POST_ACTS = {
    # Nothing selected or no rule to remove: a message and back to the page.
    "inventory:alert_reorder": {302},
    "inventory:reorder_rule_delete": {302},
    "api:reservation_commit": {200}, "api:reservation_release": {200, 409},
    # The walk's import job has FAILED: there is nothing to undo.
    "api:import_undo": {400, 409},
    # The catalogue's actions: done (or refused with a message) and back to the page.
    "products:product_archive": {302}, "products:product_restore": {302}, "products:variant_archive": {302},
    "products:variant_restore": {302}, "categories:category_archive": {302}, "categories:category_restore": {302},
    "categories:category_delete": {302}, "locations:location_default": {302}, "locations:location_deactivate": {302},
    "locations:location_activate": {302}, "api:product_archive": {200}}

# GETs that answer otherwise on the walk's objects: its export job is still PENDING.
GET_ANSWERS = {"api:export_download": {409}, "media": {404}, "favicon": {301}}
# What an Admin gets on the backups walk: its backup is still PENDING, so there is no file
# to download, verify or restore yet (pages say so and go back to the backup's page).
ADMIN_ANSWERS = {"api:backup_download": {409}, "api:backup_verify": {409}, "api:backup_restore": {409}}


def _patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # Django's admin site has its own checks (tested below)
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern)


def _url(name: str, route: str, level, order, reservation, item, purchase_order, export_job, import_job,
         backup=None, restore_run=None) -> str:
    pk = reservation.pk if name.startswith("api:reservation") else level.pk
    route = route.replace("<str:sku>", level.variant.sku).replace("<int:pk>", str(pk))
    route = route.replace("<str:number>", order.number)
    route = route.replace("<int:supplier_id>", str(item.supplier_id)).replace("<int:item_id>", str(item.pk))
    route = route.replace("<int:po_id>", str(purchase_order.pk))
    route = route.replace("<int:export_id>", str(export_job.pk)).replace("<int:import_id>", str(import_job.pk))
    route = route.replace("<slug:import_type>", "products").replace("<slug:fmt>", "csv")
    variant = level.variant
    route = route.replace("<int:product_id>", str(variant.product_id)).replace("<int:variant_id>", str(variant.pk))
    route = route.replace("<int:category_id>", str(variant.product.category_id))
    route = route.replace("<int:location_id>", str(level.location_id)).replace("<path:path>", "products/none.png")
    if backup is not None:
        route = route.replace("<int:backup_id>", str(backup.pk)).replace("<int:run_id>", str(restore_run.pk))
    assert "<" not in route, f"add a value for {route}"
    return "/" + route


@pytest.fixture
def urls(stocked, staff_user):
    """Every URL with an object of each kind; the import and export jobs are the Staff user's own
    (their jobs are visible to their owner, Managers and Admins)."""
    from inventory.services import ReservationLineRequest, reservation_create
    from orders.services import OrderLineRequest, sales_order_create
    from purchasing.services import PurchaseLineRequest, purchase_order_create
    from backups.models import Backup, RestoreRun
    from dataio.models import ExportJob, ImportJob
    from tests.factories import SupplierItemFactory

    level = stocked(5)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=1)])
    reservation = reservation_create(reference="walk", lines=[ReservationLineRequest(variant=level.variant, quantity=1)],
                                     expires=False).reservation
    item = SupplierItemFactory(variant=level.variant, preferred=True)
    purchase_order = purchase_order_create(supplier=item.supplier,
                                           lines=[PurchaseLineRequest(variant=level.variant, quantity=3)])
    export_job = ExportJob.objects.create(type="stock", format="csv", created_by=staff_user)
    import_job = ImportJob.objects.create(type="stock_counts", status="FAILED", error="walk", created_by=staff_user)
    backup = Backup.objects.create(sections=["catalogue"])  # PENDING
    restore_run = RestoreRun.objects.create(backup=backup, status="FAILED", error="walk")
    return [(name, _url(name, route, level, order, reservation, item, purchase_order, export_job, import_job,
                        backup, restore_run))
            for name, route in _patterns()]


def test_every_url_is_known_to_this_walk(urls):
    assert len(urls) >= 15
    names = {name for name, _ in urls}
    assert {"inventory:stock_list", "api:stock_list", "core:dashboard"} <= names


def test_anonymous_is_sent_to_login_or_refused_everywhere(client, urls):
    for name, url in urls:
        if name in PUBLIC:
            continue
        method = client.post if name in POST_ONLY else client.get
        response = method(url)
        if url.startswith("/api/") and name != "api:docs":  # the docs page is a page
            assert response.status_code in (401, 403), f"{name} {url} answered {response.status_code}"
        else:
            assert response.status_code == 302, f"{name} {url} answered {response.status_code}"
            assert response["Location"].startswith("/accounts/login/"), name


def test_staff_gets_403_on_manager_pages_and_in_elsewhere(staff_client, urls):
    for name, url in urls:
        if name == "accounts:logout":
            continue
        if name == "stripe_webhook":
            expected, response = {405}, staff_client.get(url)
        elif name in POST_ONLY:
            response = staff_client.post(url, {}, content_type="application/json")
            expected = {403} if name in MANAGER_ONLY | ADMIN_ONLY else {400}
        else:
            response = staff_client.get(url)
            expected = {403} if name in MANAGER_ONLY | ADMIN_ONLY else GET_ANSWERS.get(name, {200, 302})
        assert response.status_code in expected, f"{name} {url} answered {response.status_code}"


def test_manager_reaches_every_page(manager_client, urls):
    for name, url in urls:
        if name == "accounts:logout":
            continue
        if name in ADMIN_ONLY:
            if name in POST_ONLY:
                response = manager_client.post(url, {}, content_type="application/json")
            else:
                response = manager_client.get(url)
            assert response.status_code == 403, f"{name} {url} answered {response.status_code}"
        elif name == "stripe_webhook":
            assert manager_client.get(url).status_code == 405
        elif name in POST_ONLY:
            response = manager_client.post(url, {}, content_type="application/json")
            expected = POST_ACTS.get(name, {400})
            assert response.status_code in expected, f"{name} {url} answered {response.status_code}"
        else:
            response = manager_client.get(url)
            assert response.status_code in GET_ANSWERS.get(name, {200, 302}), f"{name} {url} answered {response.status_code}"


def test_admin_reaches_the_backups(admin_client, urls):
    walked = 0
    for name, url in urls:
        if name not in ADMIN_ONLY:
            continue
        if name in POST_ONLY:
            response = admin_client.post(url, {}, content_type="application/json")
        else:
            response = admin_client.get(url)
        assert response.status_code in ADMIN_ANSWERS.get(name, {200, 302}), f"{name} {url} answered {response.status_code}"
        walked += 1
    assert walked == len(ADMIN_ONLY)


def test_admin_site_is_for_admins_only(client, staff_user, manager_user, admin_user):
    for user in (staff_user, manager_user):
        client.force_login(user)
        response = client.get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200
