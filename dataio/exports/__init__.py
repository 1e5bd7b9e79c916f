"""Exports: a job per request, run by a Celery task that streams the rows to a file in
Django's storage (under exports/), and a daily clean-up of expired files.

One module a job:
- `permissions`: who may export which type (money types also need `inventory.view_prices`);
- `filters`: the filters each type takes, checked and normalised;
- `rows`: `ExportRows`, a queryset read in chunks, the cells both products paths share;
- `sources`: the rows of each type (`export_rows_<type>`, `ROW_SOURCES`, `export_rows`);
- `fast_csv`: the products CSV made by PostgreSQL;
- `readahead`: reading the chunks in a second thread while the file is written;
- `write`: writing an export to an open file (`export_write`);
- `jobs`: a job's life (create, run, fail, recover, open the file, expire);
- `import_templates`: the import templates (a header and one example row).
"""
from dataio.exports.filters import FILTERS, MAX_TEXT_FILTER, STOCK_STATUSES, export_filters_clean
from dataio.exports.import_templates import TEMPLATE_FORMATS, export_template
from dataio.exports.jobs import (
    EXPORT_RUN_TASK,
    ExportExpired,
    export_download_name,
    export_file_open,
    export_job_create,
    export_job_is_expired,
    export_job_run,
    export_jobs_recover,
    exports_expire,
)
from dataio.exports.permissions import (
    EXPORT_PERM,
    MONEY_TYPES,
    PRICES_PERM,
    VIEW_PERM,
    export_type_allowed,
    export_types_for,
)
from dataio.exports.rows import ExportRows, category_paths
from dataio.exports.sources import (
    ROW_SOURCES,
    export_rows,
    export_rows_categories,
    export_rows_movements,
    export_rows_products,
    export_rows_purchase_orders,
    export_rows_sales_orders,
    export_rows_stock,
    export_rows_supplier_items,
    export_rows_suppliers,
)
from dataio.exports.write import export_write

__all__ = [
    "EXPORT_PERM",
    "EXPORT_RUN_TASK",
    "FILTERS",
    "MAX_TEXT_FILTER",
    "MONEY_TYPES",
    "PRICES_PERM",
    "ROW_SOURCES",
    "STOCK_STATUSES",
    "TEMPLATE_FORMATS",
    "VIEW_PERM",
    "ExportExpired",
    "ExportRows",
    "category_paths",
    "export_download_name",
    "export_file_open",
    "export_filters_clean",
    "export_job_create",
    "export_job_is_expired",
    "export_job_run",
    "export_jobs_recover",
    "export_rows",
    "export_rows_categories",
    "export_rows_movements",
    "export_rows_products",
    "export_rows_purchase_orders",
    "export_rows_sales_orders",
    "export_rows_stock",
    "export_rows_supplier_items",
    "export_rows_suppliers",
    "export_template",
    "export_type_allowed",
    "export_types_for",
    "export_write",
    "exports_expire",
]
