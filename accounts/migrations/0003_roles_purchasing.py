from django.db import migrations


def sync_roles(apps, schema_editor):
    from accounts.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles_orders"),
        ("inventory", "0005_stockmovement_purchase_order"),
        ("suppliers", "0002_supplieritem"),
        ("purchasing", "0001_initial"),
    ]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
