from django.db import migrations


def sync_roles(apps, schema_editor):
    from accounts.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_roles"),
        ("inventory", "0004_reservation_links"),
        ("orders", "0001_initial"),
    ]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
