"""Categories, identified by name and parent path. Missing parents along the path are
created with the row (only this import creates categories; the products import refers
to existing ones). A category has no other fields, so an existing one is "unchanged"."""
from dataio.columns import CATEGORY_PATH_SEPARATOR, category_path_parse
from dataio.importers.base import CREATE, UNCHANGED, Importer, RowPlan, preview_values
from dataio.importers.refs import CategoryIndex
from dataio.importers.sql import changes_insert
from dataio.models import ImportChange
from inventory.models import Category

PREVIEW_ROWS = 20


class CategoriesImporter(Importer):
    type = "categories"

    def plan(self, rows: list[tuple[int, list[str]]]) -> list[RowPlan]:
        index = self.index
        i_name, i_parent = index["name"], index.get("parent")
        self.categories = categories = CategoryIndex()
        plans, keys, paths = [], [], []
        for number, cells in rows:
            plan = RowPlan(number)
            name = self.text("name", cells[i_name], plan, max_length=120, required=True)
            if "/" in name:
                plan.error("name", 'A name cannot contain "/" (it separates the levels of a path): '
                                   'put the parent in the "parent" column.')
            parent_text = cells[i_parent] if i_parent is not None else ""
            names: list[str] = []
            if parent_text:
                parent_id, _message = categories.resolve(parent_text)
                if parent_id is not None:
                    names = categories.path(parent_id).split(CATEGORY_PATH_SEPARATOR)
                else:
                    try:
                        names = category_path_parse(parent_text)
                    except ValueError as exc:
                        plan.error("parent", str(exc)[0].upper() + str(exc)[1:] + ".")
                    if any(len(part) > 120 for part in names):
                        plan.error("parent", "A name in the path is longer than 120 characters.")
            path = CATEGORY_PATH_SEPARATOR.join([*names, name])
            if len(plans) < PREVIEW_ROWS:
                plan.values = preview_values(self.columns, {"name": name, "parent": CATEGORY_PATH_SEPARATOR.join(names)})
            plans.append(plan)
            keys.append(path if plan.ok else None)
            paths.append([*names, name])
        self.duplicates(plans, keys)
        planned: set[str] = set()
        for plan, names in zip(plans, paths):
            if not plan.ok:
                continue
            path = CATEGORY_PATH_SEPARATOR.join(names)
            if path in categories.by_path:
                if self.mode == "CREATE":
                    plan.error("name", f'Already exists: category "{path}" (use update or upsert).')
                else:
                    plan.action = UNCHANGED
                continue
            if self.mode == "UPDATE":
                plan.error("name", f'Not found: there is no category "{path}" (use create or upsert).')
                continue
            create = []
            for depth in range(1, len(names) + 1):
                sub = CATEGORY_PATH_SEPARATOR.join(names[:depth])
                if sub not in categories.by_path and sub not in planned:
                    planned.add(sub)
                    create.append(names[:depth])
            plan.action, plan.data = CREATE, create
        return plans

    def apply(self, plans: list[RowPlan]) -> None:
        categories = self.categories
        changes = []
        for plan in plans:
            for names in plan.data or []:
                path = CATEGORY_PATH_SEPARATOR.join(names)
                if path in categories.by_path:
                    continue
                parent_id = categories.by_path.get(CATEGORY_PATH_SEPARATOR.join(names[:-1])) if len(names) > 1 else None
                category = Category.objects.create(name=names[-1], parent_id=parent_id)
                categories.add(category.pk, category.name, parent_id)
                changes.append((self.job_id, plan.row, "inventory.category", category.pk, ImportChange.Action.CREATE, {},
                                {"name": category.name, "parent_id": parent_id}, None))
        changes_insert(changes)
