"""Trigram indexes so 'contains' searches on SKU and product name stay fast on large
catalogues. PostgreSQL only; on SQLite the catalogue is small enough to scan."""
from django.db import migrations

POSTGRES_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS variant_sku_trgm ON inventory_variant USING gin (upper(sku) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS product_name_trgm ON inventory_product USING gin (upper(name) gin_trgm_ops)",
]
POSTGRES_REVERSE_SQL = [
    "DROP INDEX IF EXISTS variant_sku_trgm",
    "DROP INDEX IF EXISTS product_name_trgm",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in POSTGRES_SQL:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in POSTGRES_REVERSE_SQL:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
