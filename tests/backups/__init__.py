"""Helpers shared by the backup tests: a private backups folder, a small data set touching
every section, and tools to take an archive apart and put it back together."""
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from backups.sections import known_models, model_spec


@pytest.fixture
def backup_dir(settings, tmp_path):
    """Backups go to a folder of this test's own."""
    folder = tmp_path / "backups"
    folder.mkdir()
    settings.STORAGES = {**settings.STORAGES,
                         "backups": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                     "OPTIONS": {"location": str(folder)}}}
    settings.BACKUP_ENCRYPTION_KEY = ""
    return folder


def populate(*, user=None) -> dict:
    """Catalogue, ledger (restocks, a transfer, a sale), a supplier with a received purchase
    order, a shipped sales order, a Stripe event and a reorder rule; all through the services."""
    from inventory.services import stock_adjust, stock_transfer
    from orders.models import StripeEvent
    from orders.services.orders import OrderLineRequest, sales_order_create, sales_order_transition
    from purchasing.services.orders import (PurchaseLineRequest, ReceiptLineRequest, purchase_order_create,
                                            purchase_order_receive, purchase_order_transition)
    from purchasing.services.rules import reorder_rule_set
    from tests import factories

    main = factories.LocationFactory(code="main", name="Main warehouse", is_default=True)
    shop = factories.LocationFactory(code="shop", name="Shop floor “front”")
    tee = factories.VariantFactory(sku="TEE-M", attributes={"size": "M", "colour": "Blue", "notes": 'a "quoted"\nline'})
    mug = factories.VariantFactory(sku="MUG-1", attributes={"ml": 350, "glaze": "matte", "weights": [1.5, 2]})
    cap = factories.VariantFactory(sku="CAP-Ö", attributes={})
    for variant, quantity in ((tee, 40), (mug, 25), (cap, 7)):
        stock_adjust(variant=variant, location=main, quantity=quantity, type="RESTOCK", reason="Opening stock",
                     user=user)
    stock_transfer(variant=tee, from_location=main, to_location=shop, quantity=5, reason="Front display", user=user)
    stock_adjust(variant=mug, location=main, quantity=-2, type="DAMAGE", reason="Dropped\tbox", user=user)
    supplier = factories.SupplierFactory(name="Acme Ltd")
    factories.SupplierItemFactory(supplier=supplier, variant=tee)
    order = purchase_order_create(supplier=supplier, lines=[PurchaseLineRequest(variant=tee, quantity=10,
                                                                                 unit_cost=Decimal("4.25"))],
                                  user=user, submit=True)
    purchase_order_transition(order=order, to="CONFIRMED", user=user)
    purchase_order_transition(order=order, to="SHIPPED", user=user)
    purchase_order_receive(order=order, lines=[ReceiptLineRequest(line_id=order.lines.get().pk, quantity=6)],
                           idempotency_key="receipt-1", user=user)
    sale = sales_order_create(lines=[OrderLineRequest(variant=mug, quantity=3, location=main)],
                              customer_name="Zoë", customer_email="zoe@example.com", user=user)
    sales_order_transition(order=sale, to="CONFIRMED", user=user)
    sales_order_transition(order=sale, to="SHIPPED", user=user)
    StripeEvent.objects.create(event_id="evt_1", type="checkout.session.completed", order=sale,
                               payload={"id": "evt_1", "data": {"object": {"amount_total": 1299, "metadata": {
                                   "order_number": sale.number}}}, "livemode": False})
    reorder_rule_set(variant=cap, min_quantity=5, max_quantity=20, location=main)
    return {"main": main, "shop": shop, "tee": tee, "mug": mug, "cap": cap, "supplier": supplier,
            "purchase_order": order, "sale": sale}


ALL_SECTIONS = ["catalogue", "stock", "purchasing", "orders", "users"]


def fingerprint(sections=None) -> dict[str, str]:
    """The content hash of every model's rows as they are now (the generic encoding)."""
    from backups.services.backups import archive_write

    buffer = io.BytesIO()
    manifest = archive_write(buffer, sections=sections or ALL_SECTIONS, fast=False)
    return {entry["model"]: entry["sha256"] for entry in manifest["members"].values()}


def member_hashes(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    return {entry["model"]: entry["sha256"] for entry in manifest["members"].values()}


def read_archive(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_archive(path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return Path(path)


def empty_tables(labels=None) -> None:
    """Empty the tables a backup covers, as in a fresh database (ids restart at 1)."""
    labels = labels or known_models()
    tables = [model_spec(label).table for label in labels]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Checks still pending from this test's own writes must run before TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in tables)} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for table in reversed(tables):
                cursor.execute(f"DELETE FROM {quote(table)}")


def roles_present() -> bool:
    return Group.objects.filter(name="Admin").exists()
