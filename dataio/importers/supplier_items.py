"""Supplier items, identified by supplier name and our SKU; both must exist.

A variant has at most one preferred supplier: a row making an item preferred while
another supplier's item of the same SKU is preferred is an error (unset that one first).
"""
from dataio.importers.base import CREATE, UNCHANGED, UPDATE, Importer, RowPlan, preview_values
from dataio.importers.sql import changes_insert, json_value, money_value, rows_insert, rows_update, select_in
from dataio.models import ImportChange
from suppliers.models import Supplier, SupplierItem

PREVIEW_ROWS = 20
FIELDS = ["supplier_sku", "unit_cost", "lead_time_days", "minimum_order_quantity", "preferred"]
DEFAULTS = {"supplier_sku": "", "unit_cost": None, "lead_time_days": 7, "minimum_order_quantity": 1, "preferred": False}


class SupplierItemsImporter(Importer):
    type = "supplier_items"

    def plan(self, rows: list[tuple[int, list[str]]]) -> list[RowPlan]:
        from decimal import Decimal

        index = self.index
        plans, parsed = [], []
        for number, cells in rows:
            plan = RowPlan(number)
            supplier = self.text("supplier", cells[index["supplier"]], plan, required=True)
            sku = self.text("sku", cells[index["sku"]], plan, required=True)
            values = {}
            if "supplier_sku" in index:
                values["supplier_sku"] = self.text("supplier_sku", cells[index["supplier_sku"]], plan, max_length=64)
            if "unit_cost" in index:
                values["unit_cost"] = self.money("unit_cost", cells[index["unit_cost"]], plan)
            if "lead_time_days" in index:
                values["lead_time_days"] = self.count("lead_time_days", cells[index["lead_time_days"]], plan, minimum=0)
            if "minimum_order_quantity" in index:
                values["minimum_order_quantity"] = self.count("minimum_order_quantity",
                                                              cells[index["minimum_order_quantity"]], plan, minimum=1)
            if "preferred" in index:
                values["preferred"] = self.parse("preferred", cells[index["preferred"]], plan)
            values = {field: value for field, value in values.items() if value is not None}
            plans.append(plan)
            parsed.append((supplier, sku, values))
        self.duplicates(plans, [(supplier, sku) if plan.ok else None for plan, (supplier, sku, _v) in zip(plans, parsed)])

        suppliers = dict(select_in('SELECT "name", "id" FROM "suppliers_supplier" WHERE "name" {op}',
                                   sorted({supplier for supplier, _s, _v in parsed if supplier})))
        variants = dict(select_in('SELECT "sku", "id" FROM "inventory_variant" WHERE "sku" {op}',
                                  sorted({sku for _s, sku, _v in parsed if sku})))
        items, preferred = {}, {}
        for record in select_in(
            'SELECT "id", "supplier_id", "variant_id", ' + ", ".join(f'"{field}"' for field in FIELDS) +
            ' FROM "suppliers_supplieritem" WHERE "variant_id" {op}', sorted(set(variants.values())),
        ):
            record = (*record[:4], money_value(record[4]), record[5], record[6], bool(record[7]))
            items[(record[1], record[2])] = record
            if record[-1]:
                preferred[record[2]] = record[1]
        names = {pk: name for name, pk in suppliers.items()}
        wanted_preferred: dict[int, int] = {}
        for position, (plan, (supplier, sku, values)) in enumerate(zip(plans, parsed)):
            if position < PREVIEW_ROWS:
                plan.values = preview_values(self.columns, {"supplier": supplier, "sku": sku, **values})
            if not plan.ok:
                continue
            supplier_id, variant_id = suppliers.get(supplier), variants.get(sku)
            if supplier_id is None:
                plan.error("supplier", f'No supplier named "{supplier}": import or add it first.')
            if variant_id is None:
                plan.error("sku", f"No variant with SKU {sku}.")
            if not plan.ok:
                continue
            if values.get("preferred"):
                holder = preferred.get(variant_id)
                if holder is not None and holder != supplier_id:
                    if holder not in names:
                        names[holder] = Supplier.objects.filter(pk=holder).values_list("name", flat=True).first()
                    plan.error("preferred", f'SKU {sku} already has a preferred supplier ("{names[holder]}"): '
                                            f"set preferred to false there first.")
                    continue
                first = wanted_preferred.setdefault(variant_id, plan.row)
                if first != plan.row:
                    plan.error("preferred", f"Row {first} already makes another supplier preferred for SKU {sku}.")
                    continue
            record = items.get((supplier_id, variant_id))
            if record is None:
                if self.mode == "UPDATE":
                    plan.error("sku", f'Not found: supplier "{supplier}" has no item for SKU {sku} (use create or upsert).')
                    continue
                new = dict(DEFAULTS)
                new["unit_cost"] = Decimal("0.00")
                new.update(values)
                plan.action, plan.data = CREATE, (supplier_id, variant_id, new)
                continue
            if self.mode == "CREATE":
                plan.error("sku", f'Already exists: supplier "{supplier}" has an item for SKU {sku} (use update or upsert).')
                continue
            current = dict(zip(FIELDS, record[3:]))
            changes = {field: value for field, value in values.items() if current[field] != value}
            if not changes:
                plan.action = UNCHANGED
                continue
            before = {field: json_value(current[field]) for field in changes}
            current.update(changes)
            plan.action, plan.data = UPDATE, (record[0], [current[field] for field in FIELDS], before,
                                              {field: json_value(value) for field, value in changes.items()})
        return plans

    def apply(self, plans: list[RowPlan]) -> None:
        changes = []
        created = [plan for plan in plans if plan.action == CREATE]
        fields = ["supplier_id", "variant_id", *FIELDS]
        rows = [[plan.data[0], plan.data[1], *[plan.data[2][field] for field in FIELDS]] for plan in created]
        for plan, pk, row in zip(created, rows_insert(SupplierItem, fields, rows), rows):
            changes.append((self.job_id, plan.row, "suppliers.supplieritem", pk, ImportChange.Action.CREATE, {},
                            {field: json_value(value) for field, value in zip(fields, row)}, None))
        # Items losing "preferred" first, so the one-preferred-per-variant index never sees two.
        updated = sorted((plan for plan in plans if plan.action == UPDATE), key=lambda plan: bool(plan.data[1][-1]))
        unsetting = [plan for plan in updated if not plan.data[1][-1]]
        setting = [plan for plan in updated if plan.data[1][-1]]
        rows_update(SupplierItem, FIELDS, [[plan.data[0], *plan.data[1]] for plan in unsetting])
        rows_update(SupplierItem, FIELDS, [[plan.data[0], *plan.data[1]] for plan in setting])
        for plan in updated:
            changes.append((self.job_id, plan.row, "suppliers.supplieritem", plan.data[0], ImportChange.Action.UPDATE,
                            plan.data[2], plan.data[3], None))
        changes_insert(changes)
