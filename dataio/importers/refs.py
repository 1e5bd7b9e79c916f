"""Looking up what import rows refer to: categories by path or name."""
from dataio.columns import CATEGORY_PATH_SEPARATOR, category_path_parse
from inventory.models import Category


class CategoryIndex:
    """Every category by path ("Clothing / Shirts") and by name, loaded in one query."""

    def __init__(self):
        self.nodes: dict[int, tuple[str, int | None]] = {
            pk: (name, parent_id) for pk, name, parent_id in Category.objects.values_list("pk", "name", "parent_id")
        }
        self.by_path: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        for pk, (name, _parent) in self.nodes.items():
            self.by_path[self.path(pk)] = pk
            self.by_name.setdefault(name, []).append(pk)
        self._folded: dict[str, list[int]] | None = None
        self._resolved: dict[str, tuple[int | None, str | None]] = {}

    def path(self, pk: int) -> str:
        names, node, seen = [], pk, set()
        while node is not None and node not in seen and node in self.nodes:
            seen.add(node)
            name, parent = self.nodes[node]
            names.append(name)
            node = parent
        return CATEGORY_PATH_SEPARATOR.join(reversed(names))

    def add(self, pk: int, name: str, parent_id: int | None) -> None:
        self.nodes[pk] = (name, parent_id)
        self.by_path[self.path(pk)] = pk
        self.by_name.setdefault(name, []).append(pk)
        self._folded = None
        self._resolved.clear()

    def resolve(self, text: str) -> tuple[int | None, str | None]:
        """(category id, None) for a path or a name, or (None, message) when there is no
        such category or a bare name is ambiguous. Blank text is (None, None)."""
        try:
            return self._resolved[text]
        except KeyError:
            pass
        result = self._resolve(text)
        self._resolved[text] = result
        return result

    def _resolve(self, text: str) -> tuple[int | None, str | None]:
        if not text:
            return None, None
        try:
            names = category_path_parse(text)
        except ValueError as exc:
            return None, str(exc)[0].upper() + str(exc)[1:] + "."
        path = CATEGORY_PATH_SEPARATOR.join(names)
        if path in self.by_path:
            return self.by_path[path], None
        if len(names) == 1:
            matches = self.by_name.get(names[0], [])
            if len(matches) == 1:
                return matches[0], None
            if len(matches) > 1:
                paths = ", ".join(sorted(f'"{self.path(pk)}"' for pk in matches))
                return None, f'More than one category is named "{names[0]}" ({paths}): give its path.'
        if self._folded is None:
            self._folded = {}
            for known, pk in self.by_path.items():
                self._folded.setdefault(known.casefold(), []).append(pk)
        folded = self._folded.get(path.casefold(), [])
        if len(folded) == 1:
            return folded[0], None
        return None, f'No category "{path}": create it first (import categories or add it by hand).'
