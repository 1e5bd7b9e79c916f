"""Suppliers, identified by name. A blank text cell clears the field; a blank `active`
leaves it as it is (new suppliers are active)."""
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from dataio.importers.base import CREATE, UNCHANGED, UPDATE, Importer, RowPlan, preview_values
from dataio.importers.sql import changes_insert, json_value, rows_insert, rows_update, select_in
from dataio.models import ImportChange
from suppliers.models import Supplier

PREVIEW_ROWS = 20
FIELDS = ["contact_name", "email", "phone", "address", "website", "notes", "active"]
LIMITS = {"contact_name": 200, "email": 254, "phone": 50, "website": 200}
_email, _url = EmailValidator(), URLValidator(schemes=["http", "https"])


class SuppliersImporter(Importer):
    type = "suppliers"

    def plan(self, rows: list[tuple[int, list[str]]]) -> list[RowPlan]:
        index = self.index
        present = [field for field in FIELDS if field in index]
        plans, parsed = [], []
        for number, cells in rows:
            plan = RowPlan(number)
            name = self.text("name", cells[index["name"]], plan, max_length=200, required=True)
            values = {}
            for field in present:
                text = cells[index[field]]
                if field == "active":
                    value = self.parse("active", text, plan)
                    if value is not None:
                        values[field] = value
                    continue
                self.text(field, text, plan, max_length=LIMITS.get(field))
                if text and field in ("email", "website"):
                    try:
                        (_email if field == "email" else _url)(text)
                    except ValidationError:
                        plan.error(field, "Not a valid email address." if field == "email"
                                   else "Not a valid web address (start it with https://).")
                values[field] = text
            plans.append(plan)
            parsed.append((name, values))
        self.duplicates(plans, [name if plan.ok else None for plan, (name, _v) in zip(plans, parsed)])
        existing = {
            record[1]: record
            for record in select_in(
                'SELECT "id", "name", ' + ", ".join(f'"{field}"' for field in FIELDS) +
                ' FROM "suppliers_supplier" WHERE "name" {op}',
                sorted({name for plan, (name, _v) in zip(plans, parsed) if plan.ok}),
            )
        }
        for position, (plan, (name, values)) in enumerate(zip(plans, parsed)):
            if position < PREVIEW_ROWS:
                plan.values = preview_values(self.columns, {"name": name, **values})
            if not plan.ok:
                continue
            record = existing.get(name)
            if record is None:
                if self.mode == "UPDATE":
                    plan.error("name", f'Not found: there is no supplier named "{name}" (use create or upsert).')
                    continue
                new = {field: "" for field in FIELDS}
                new["active"] = True
                new.update(values)
                plan.action, plan.data = CREATE, (name, new)
                continue
            if self.mode == "CREATE":
                plan.error("name", f'Already exists: a supplier is named "{name}" (use update or upsert).')
                continue
            current = dict(zip(FIELDS, record[2:]))
            current["active"] = bool(current["active"])
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
        fields = ["name", *FIELDS]
        rows = [[plan.data[0], *[plan.data[1][field] for field in FIELDS]] for plan in created]
        for plan, pk, row in zip(created, rows_insert(Supplier, fields, rows), rows):
            changes.append((self.job_id, plan.row, "suppliers.supplier", pk, ImportChange.Action.CREATE, {},
                            {field: json_value(value) for field, value in zip(fields, row)}, None))
        updated = [plan for plan in plans if plan.action == UPDATE]
        rows_update(Supplier, FIELDS, [[plan.data[0], *plan.data[1]] for plan in updated])
        for plan in updated:
            changes.append((self.job_id, plan.row, "suppliers.supplier", plan.data[0], ImportChange.Action.UPDATE,
                            plan.data[2], plan.data[3], None))
        changes_insert(changes)
