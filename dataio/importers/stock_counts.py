"""Stock counts: a counted quantity (COUNT movement) or a signed change (ADJUSTMENT or the
row's type) per SKU and location, written through the ledger (`stock_count_bulk`), each
movement linked to the import job. A count is recorded even when it matches (a movement
of 0), as a count made by hand is."""
from core.exceptions import ApplicationError
from dataio.importers.base import CREATE, UPDATE, Importer, RowErrors, RowPlan, preview_values
from dataio.importers.sql import changes_insert, select_in
from dataio.models import ImportChange
from inventory.models import Location, MovementType
from inventory.services.counts import COUNT_CHANGE_TYPES, CountLine, count_line_problem, stock_count_bulk

PREVIEW_ROWS = 20


class StockCountsImporter(Importer):
    type = "stock_counts"

    def plan(self, rows: list[tuple[int, list[str]]]) -> list[RowPlan]:
        index = self.index
        i_sku, i_reason = index["sku"], index["reason"]
        i_location, i_counted, i_change, i_type = (index.get(name) for name in ("location", "counted", "change", "type"))
        locations = {code: (pk, active) for pk, code, active in Location.objects.values_list("pk", "code", "active")}
        default = Location.objects.filter(is_default=True).values_list("pk", "code").first()
        plans, parsed, keys = [], [], []
        for number, cells in rows:
            plan = RowPlan(number)
            sku = cells[i_sku]
            if not sku:
                plan.error("sku", "Required: this cell is empty.")
            code = cells[i_location] if i_location is not None else ""
            location_id = None
            if code:
                found = locations.get(code) or locations.get(code.lower())
                if found is None:
                    plan.error("location", f'No location with the code "{code}".')
                elif not found[1]:
                    plan.error("location", f'Location "{code}" is inactive.')
                else:
                    location_id = found[0]
            elif default is None:
                plan.error("location", "No default location is set: give the location's code.")
            else:
                location_id, code = default
            counted = self.count("counted", cells[i_counted], plan) if i_counted is not None else None
            change = self.parse("change", cells[i_change], plan) if i_change is not None else None
            kind = (cells[i_type].upper() if i_type is not None else "") or MovementType.ADJUSTMENT
            reason = cells[i_reason]
            line = None
            if plan.ok:
                line = CountLine(line=number, variant_id=0, location_id=location_id, sku=sku, reason=reason,
                                 counted=counted, change=change, type=kind)
                problem = count_line_problem(line)
                if problem is not None:
                    column, message = problem
                    if column == "type":
                        message = f"Must be one of {', '.join(COUNT_CHANGE_TYPES)} (or blank for ADJUSTMENT)."
                    plan.error(column, message)
            plans.append(plan)
            parsed.append((sku, code, line))
            keys.append((sku, location_id) if plan.ok else None)
        self.duplicates(plans, keys)

        variants = dict(select_in('SELECT "sku", "id" FROM "inventory_variant" WHERE "sku" {op}',
                                  sorted({sku for (sku, _c, line) in parsed if line is not None})))
        levels = {
            (variant_id, location_id): (on_hand, reserved)
            for variant_id, location_id, on_hand, reserved in select_in(
                'SELECT "variant_id", "location_id", "on_hand", "reserved" FROM "inventory_stocklevel" '
                'WHERE "variant_id" {op}', sorted(set(variants.values())))
        }
        for position, (plan, (sku, code, line)) in enumerate(zip(plans, parsed)):
            if not plan.ok:
                continue
            variant_id = variants.get(sku)
            if variant_id is None:
                plan.error("sku", f"No variant with SKU {sku}.")
                continue
            on_hand, reserved = levels.get((variant_id, line.location_id), (0, 0))
            after = line.counted if line.counted is not None else on_hand + line.change
            column = "counted" if line.counted is not None else "change"
            if after < 0:
                plan.error(column, f"Would take stock below zero ({on_hand} on hand).")
                continue
            if after < reserved:
                plan.error(column, f"{reserved} units are reserved for open orders; the stock cannot go below that "
                                   f"(it would be {after}).")
                continue
            plan.action = UPDATE if (variant_id, line.location_id) in levels else CREATE
            plan.data = CountLine(line=line.line, variant_id=variant_id, location_id=line.location_id, sku=sku,
                                  reason=line.reason, counted=line.counted, change=line.change,
                                  type=line.type if line.change is not None else MovementType.COUNT)
            if position < PREVIEW_ROWS:
                values = {"sku": sku, "location": code, "reason": line.reason}
                if line.counted is not None:
                    values["counted"] = line.counted
                else:
                    values["change"] = line.change
                    values["type"] = line.type
                plan.values = {**preview_values(self.columns, values), "on_hand": f"{on_hand} → {after}"}
        for position in range(min(PREVIEW_ROWS, len(plans))):
            plan = plans[position]
            if not plan.values:
                sku, code, _line = parsed[position]
                plan.values = {"sku": sku, "location": code}
        return plans

    def apply(self, plans: list[RowPlan]) -> None:
        if not plans:
            return
        try:
            results = stock_count_bulk(lines=[plan.data for plan in plans], user=self.user, import_job_id=self.job_id)
        except ApplicationError as exc:  # a bad line (ValidationFailed) or a short one (InsufficientStock)
            raise RowErrors([(problem["line"], problem.get("column", ""), problem["message"])
                             for problem in exc.details.get("lines", [])] or
                            [(plans[0].row, "", exc.message)]) from exc
        changes_insert(
            (self.job_id, result.line, "inventory.stocklevel", result.level_id, ImportChange.Action.STOCK,
             {"on_hand": result.before}, {"on_hand": result.after}, result.movement.pk)
            for result in results
        )
