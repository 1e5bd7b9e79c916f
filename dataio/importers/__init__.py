"""One importer per import type; see dataio.importers.base for what they do."""
from dataio.importers.categories import CategoriesImporter
from dataio.importers.products import ProductsImporter
from dataio.importers.stock_counts import StockCountsImporter
from dataio.importers.supplier_items import SupplierItemsImporter
from dataio.importers.suppliers import SuppliersImporter

IMPORTERS = {
    "categories": CategoriesImporter,
    "products": ProductsImporter,
    "suppliers": SuppliersImporter,
    "supplier_items": SupplierItemsImporter,
    "stock_counts": StockCountsImporter,
}
