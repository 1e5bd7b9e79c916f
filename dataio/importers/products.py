"""Products with variants: one row per variant, identified by its SKU.

Rows with the same product name and category are the variants of one product. The
product's own details (name, category, description, product_active, track_inventory)
come from the first row of the group; a later row that gives them differently is an
error naming that first row. Prices and costs are compared with the variant's effective
price and cost (its own, or the product's when it has none), so a file exported from
Stockroom imports again as "unchanged" on every row.
"""
import json
from decimal import Decimal
from typing import Any

from dataio.columns import attributes_parse
from dataio.importers.base import CREATE, ERROR, UNCHANGED, UPDATE, Importer, RowPlan, preview_values
from dataio.importers.refs import CategoryIndex
from dataio.importers.sql import money_value, rows_insert, rows_update, select_in
from inventory.models import Product, Variant

PREVIEW_ROWS = 20
PRODUCT_FIELDS = ["name", "category_id", "description", "active", "track_inventory", "price", "cost"]
VARIANT_FIELDS = ["barcode", "attributes", "price", "cost", "active"]
ZERO = Decimal("0.00")


class _Group:
    """The rows of one product in the file (same name and category)."""

    __slots__ = ("first_row", "name", "category_id", "description", "active", "track_inventory", "product_id",
                 "creator", "price", "cost", "ambiguous")

    def __init__(self, row: int, name: str, category_id: int | None):
        self.first_row = row
        self.name = name
        self.category_id = category_id
        self.description: str | None = None
        self.active: bool | None = None
        self.track_inventory: bool | None = None
        self.product_id: int | None = None
        self.creator: RowPlan | None = None
        self.price: Decimal | None = None
        self.cost: Decimal | None = None
        self.ambiguous = False


class _Row:
    __slots__ = ("sku", "name", "category_id", "category_text", "description", "barcode", "attributes", "price", "cost",
                 "active", "product_active", "track_inventory", "group", "variant_id", "variant_new", "product_create",
                 "product_update")

    def __init__(self):
        self.group: _Group | None = None
        self.variant_id: int | None = None
        self.variant_new: tuple | None = None
        self.product_create: dict | None = None
        self.product_update: tuple | None = None


def _attributes(value: Any) -> dict:
    if value is None:
        return {}
    if isinstance(value, str):
        return json.loads(value)
    return value


def _product_record(record: tuple) -> tuple:
    pk, name, category_id, description, active, track, price, cost = record
    return pk, name, category_id, description, bool(active), bool(track), money_value(price), money_value(cost)


class ProductsImporter(Importer):
    type = "products"

    # --- plan -------------------------------------------------------------

    def plan(self, rows: list[tuple[int, list[str]]]) -> list[RowPlan]:
        plans, parsed = self._parse(rows)
        self.duplicates(plans, [row.sku if not plan.errors else None for plan, row in zip(plans, parsed)])

        skus = [row.sku for plan, row in zip(plans, parsed) if not plan.errors]
        attribute_cache: dict[str, dict] = {}
        variants = {}
        for pk, sku, product_id, barcode, attributes, price, cost, active in select_in(
            # attributes as text: most variants share a few option sets, each parsed once
            'SELECT "id", "sku", "product_id", "barcode", CAST("attributes" AS text), "price", "cost", "active" '
            'FROM "inventory_variant" WHERE "sku" {op}', skus,
        ):
            if isinstance(attributes, str):
                attributes = attribute_cache.get(attributes) or attribute_cache.setdefault(attributes, json.loads(attributes))
            variants[sku] = (pk, product_id, barcode, attributes or {}, money_value(price), money_value(cost), bool(active))

        # Pass 1: the groups, their product-level details and the products they already have.
        groups: dict[tuple[str, int | None], _Group] = {}
        for plan, row in zip(plans, parsed):
            if plan.errors:
                continue
            key = (row.name, row.category_id)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(plan.row, row.name, row.category_id)
            row.group = group
            self._group_details(plan, row, group)
            if not plan.errors and group.product_id is None and row.sku in variants:
                group.product_id = variants[row.sku][1]

        # Products: those the file's variants belong to, and those new variants' groups may name.
        product_ids = {variants[row.sku][1] for plan, row in zip(plans, parsed) if not plan.errors and row.sku in variants}
        unnamed = {group.name for group in groups.values() if group.product_id is None}
        products = {}
        for record in select_in(
            'SELECT "id", "name", "category_id", "description", "active", "track_inventory", "price", "cost" '
            'FROM "inventory_product" WHERE "id" {op}', sorted(product_ids),
        ):
            products[record[0]] = _product_record(record)
        by_name: dict[tuple[str, int | None], list[int]] = {}
        for record in select_in(
            'SELECT "id", "name", "category_id", "description", "active", "track_inventory", "price", "cost" '
            'FROM "inventory_product" WHERE "name" {op}', sorted(unnamed),
        ):
            record = products[record[0]] = _product_record(record)
            by_name.setdefault((record[1], record[2]), []).append(record[0])
        for group in groups.values():
            if group.product_id is None:
                matches = by_name.get((group.name, group.category_id), [])
                if len(matches) == 1:
                    group.product_id = matches[0]
                elif len(matches) > 1:
                    group.ambiguous = True

        # Pass 2: each row's action.
        claims: dict[int, _Group] = {}
        mode = self.mode
        for plan, row in zip(plans, parsed):
            if plan.errors:
                continue
            group = row.group
            current = variants.get(row.sku)
            if current is not None:
                if mode == "CREATE":
                    plan.error("sku", f"Already exists: SKU {row.sku} is in the catalogue (use update or upsert).")
                    continue
                self._plan_update(plan, row, current, products[current[1]], claims)
            else:
                if mode == "UPDATE":
                    plan.error("sku", f"Not found: there is no variant with SKU {row.sku} (use create or upsert).")
                    continue
                if group.ambiguous and group.product_id is None:
                    plan.error("product", f'More than one product is named "{row.name}" in this category: '
                                          f"give the SKU of one of its variants on another row, or rename one.")
                    continue
                self._plan_create(plan, row, group, products, claims)

        for plan, row in zip(plans[:PREVIEW_ROWS], parsed[:PREVIEW_ROWS]):
            plan.values = self._preview(row)
        return plans

    def _parse(self, rows: list[tuple[int, list[str]]]) -> tuple[list[RowPlan], list[_Row]]:
        index = self.index
        i_sku, i_name = index["sku"], index["product"]
        i_category, i_description = index.get("category"), index.get("description")
        i_barcode, i_attributes = index.get("barcode"), index.get("attributes")
        i_price, i_cost, i_active = index.get("price"), index.get("cost"), index.get("active")
        i_product_active, i_track = index.get("product_active"), index.get("track_inventory")
        categories = CategoryIndex() if i_category is not None else None
        attribute_cache: dict[str, dict] = {}
        money, parse = self.money, self.parse
        caches = self._caches
        prices = caches.setdefault("price:money", {})
        costs = caches.setdefault("cost:money", {})
        flags = caches.setdefault("active", {})
        # the three flag columns are the same kind: one cache of well-formed texts
        caches["product_active"] = caches["track_inventory"] = flags
        plans, parsed = [], []
        for number, cells in rows:
            plan = RowPlan(number)
            row = _Row()
            sku = row.sku = cells[i_sku]
            if not sku:
                plan.error("sku", "Required: this cell is empty.")
            elif len(sku) > 64:
                plan.error("sku", f"Too long: at most 64 characters ({len(sku)} given).")
            name = row.name = cells[i_name]
            if not name:
                plan.error("product", "Required: this cell is empty.")
            elif len(name) > 200:
                plan.error("product", f"Too long: at most 200 characters ({len(name)} given).")
            row.category_id = None
            row.category_text = ""
            if categories is not None:
                text = row.category_text = cells[i_category]
                row.category_id, message = categories.resolve(text)
                if message:
                    plan.error("category", message)
            row.description = cells[i_description] if i_description is not None else None
            row.barcode = None
            if i_barcode is not None:
                barcode = row.barcode = cells[i_barcode]
                if len(barcode) > 64:
                    plan.error("barcode", f"Too long: at most 64 characters ({len(barcode)} given).")
            row.attributes = None
            if i_attributes is not None:
                text = cells[i_attributes]
                attributes = attribute_cache.get(text)
                if attributes is None:
                    try:
                        attributes = attribute_cache[text] = attributes_parse(text)
                    except ValueError as exc:
                        message = str(exc)
                        plan.error("attributes", message[0].upper() + message[1:] + ".")
                row.attributes = attributes
            # The caches hold every text already parsed well; only new texts go the long way.
            if i_price is not None:
                text = cells[i_price]
                row.price = prices[text] if text in prices else money("price", text, plan)
            else:
                row.price = None
            if i_cost is not None:
                text = cells[i_cost]
                row.cost = costs[text] if text in costs else money("cost", text, plan)
            else:
                row.cost = None
            if i_active is not None:
                text = cells[i_active]
                row.active = flags[text] if text in flags else parse("active", text, plan)
            else:
                row.active = None
            if i_product_active is not None:
                text = cells[i_product_active]
                row.product_active = flags[text] if text in flags else parse("product_active", text, plan)
            else:
                row.product_active = None
            if i_track is not None:
                text = cells[i_track]
                row.track_inventory = flags[text] if text in flags else parse("track_inventory", text, plan)
            else:
                row.track_inventory = None
            plans.append(plan)
            parsed.append(row)
        return plans, parsed

    def _group_details(self, plan: RowPlan, row: _Row, group: _Group) -> None:
        """The product's details come from the group's first row that gives them; a row
        giving them differently is an error naming that first row."""
        value = row.description
        if value is not None:
            if group.description is None:
                group.description = value
            elif group.description != value:
                self._group_differs(plan, "description", group)
        value = row.product_active
        if value is not None:
            if group.active is None:
                group.active = value
            elif group.active != value:
                self._group_differs(plan, "product_active", group)
        value = row.track_inventory
        if value is not None:
            if group.track_inventory is None:
                group.track_inventory = value
            elif group.track_inventory != value:
                self._group_differs(plan, "track_inventory", group)

    @staticmethod
    def _group_differs(plan: RowPlan, column: str, group: _Group) -> None:
        plan.error(column, f'Differs from row {group.first_row} of the same product ("{group.name}"): '
                           f"a product's details must be the same on all its rows.")

    def _product_changes(self, group: _Group, product: tuple) -> dict[str, Any]:
        _pk, name, category_id, description, active, track, _price, _cost = product
        changes = {}
        if group.name != name:
            changes["name"] = group.name
        if self.has("category") and group.category_id != category_id:
            changes["category_id"] = group.category_id
        if group.description is not None and group.description != description:
            changes["description"] = group.description
        if group.active is not None and group.active != active:
            changes["active"] = group.active
        if group.track_inventory is not None and group.track_inventory != track:
            changes["track_inventory"] = group.track_inventory
        return changes

    def _claim(self, plan: RowPlan, row: _Row, product: tuple, claims: dict[int, _Group]) -> bool:
        """The first row that names an existing product carries that product's update."""
        pk = product[0]
        claimed = claims.get(pk)
        if claimed is None:
            claims[pk] = row.group
            changes = self._product_changes(row.group, product)
            if changes:
                current = dict(zip(["id", *PRODUCT_FIELDS], product))
                row.product_update = (pk, [changes.get(field, current[field]) for field in PRODUCT_FIELDS])
            return True
        if claimed is not row.group:
            plan.error("product", f'SKU {row.sku} belongs to product "{product[1]}", which row {claimed.first_row} '
                                  f"already gives other product details (name or category).")
            return False
        return True

    def _plan_update(self, plan: RowPlan, row: _Row, current: tuple, product: tuple, claims: dict) -> None:
        pk, _product_id, barcode, attributes, price, cost, active = current
        if not self._claim(plan, row, product, claims):
            return
        changed = False
        if row.barcode is not None and row.barcode != barcode:
            barcode, changed = row.barcode, True
        if row.attributes is not None and row.attributes != attributes:
            attributes, changed = row.attributes, True
        if row.price is not None and row.price != (price if price is not None else product[6]):
            price, changed = row.price, True
        if row.cost is not None and row.cost != (cost if cost is not None else product[7]):
            cost, changed = row.cost, True
        if row.active is not None and row.active != active:
            active, changed = row.active, True
        row.variant_id = pk
        if changed:
            # The variant's values after the import (VARIANT_FIELDS order); what they
            # were is recorded from the table when the update is written.
            row.variant_new = (barcode, attributes, price, cost, active)
        plan.action = UPDATE if (changed or row.product_update) else UNCHANGED
        plan.data = row

    def _plan_create(self, plan: RowPlan, row: _Row, group: _Group, products: dict, claims: dict) -> None:
        if group.product_id is not None:
            product = products[group.product_id]
            if not self._claim(plan, row, product, claims):
                return
            base_price, base_cost = product[6], product[7]
        elif group.creator is None:
            group.creator = plan
            group.price = row.price if row.price is not None else ZERO
            group.cost = row.cost if row.cost is not None else ZERO
            row.product_create = {
                "name": group.name,
                "category_id": group.category_id,
                "description": group.description or "",
                "active": group.active if group.active is not None else True,
                "track_inventory": group.track_inventory if group.track_inventory is not None else True,
                "price": group.price,
                "cost": group.cost,
            }
            base_price, base_cost = group.price, group.cost
        else:
            base_price, base_cost = group.price, group.cost
        price, cost = row.price, row.cost
        # ("sku", *VARIANT_FIELDS): a price or cost equal to the product's is left to it
        row.variant_new = (
            row.sku,
            row.barcode or "",
            row.attributes or {},
            price if price is not None and price != base_price else None,
            cost if cost is not None and cost != base_cost else None,
            row.active if row.active is not None else True,
        )
        plan.action = CREATE
        plan.data = row

    def _preview(self, row: _Row) -> dict[str, str]:
        values: dict[str, Any] = {"sku": row.sku, "product": row.name}
        for name in ("category", "description", "barcode", "attributes", "price", "cost", "active", "product_active",
                     "track_inventory"):
            if not self.has(name):
                continue
            value = row.category_text if name == "category" else getattr(row, name)
            if value is not None:
                values[name] = value
        return preview_values(self.columns, values)

    # --- apply ------------------------------------------------------------

    def apply(self, plans: list[RowPlan]) -> None:
        """Write one batch; the undo records (ImportChange) are kept by rows_insert and
        rows_update, in this order: products created, products changed, variants created,
        variants changed."""
        job_id = self.job_id
        creators = [plan for plan in plans if plan.action == CREATE and plan.data.product_create is not None]
        if creators:
            ids = rows_insert(Product, PRODUCT_FIELDS,
                              [[plan.data.product_create[f] for f in PRODUCT_FIELDS] for plan in creators],
                              record=(job_id, "inventory.product", [plan.row for plan in creators]))
            for plan, pk in zip(creators, ids):
                plan.data.group.product_id = pk
        product_updates = [plan for plan in plans if plan.action in (CREATE, UPDATE) and plan.data.product_update]
        if product_updates:
            rows_update(Product, PRODUCT_FIELDS,
                        [[plan.data.product_update[0], *plan.data.product_update[1]] for plan in product_updates],
                        record=(job_id, "inventory.product", [plan.row for plan in product_updates]))

        created = [plan for plan in plans if plan.action == CREATE]
        if created:
            rows = [(plan.data.group.product_id, *plan.data.variant_new) for plan in created]
            rows_insert(Variant, ["product_id", "sku", *VARIANT_FIELDS], rows,
                        record=(job_id, "inventory.variant", [plan.row for plan in created]))
        updated = [plan for plan in plans if plan.action == UPDATE and plan.data.variant_new is not None]
        if updated:
            rows_update(Variant, VARIANT_FIELDS, [(plan.data.variant_id, *plan.data.variant_new) for plan in updated],
                        record=(job_id, "inventory.variant", [plan.row for plan in updated]))


__all__ = ["ProductsImporter", "ERROR"]
