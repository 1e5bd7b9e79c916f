from django.db import migrations


def sync_roles(apps, schema_editor):
    from accounts.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_roles_purchasing"),
        ("dataio", "0001_initial"),
        ("inventory", "0006_stockmovement_import_job"),
    ]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
