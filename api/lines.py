"""What the operations that take lines of SKUs share (reservations, checkout, orders, purchase orders)."""
from core.exceptions import NotFound
from inventory.models import Variant
from inventory.selectors import variant_get


def line_variants(lines: list[dict]) -> list[Variant]:
    """Each line's variant, in order; NotFound (404) naming the first unknown SKU and its line."""
    found: dict[str, Variant] = {}
    for index, line in enumerate(lines, start=1):
        sku = line["sku"]
        if sku not in found:
            try:
                found[sku] = variant_get(sku=sku)
            except NotFound:
                raise NotFound(f"Line {index}: unknown SKU {sku!r}.", details={"sku": sku, "line": index}) from None
    return [found[line["sku"]] for line in lines]
