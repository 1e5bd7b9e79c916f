from django.db import migrations


def sync_roles(apps, schema_editor):
    # The Admin role gets the backups permissions (view, add, change, delete, restore_backup,
    # change_backupschedule…); Managers and Staff get none of them.
    from accounts.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_roles_dataio"),
        ("backups", "0001_initial"),
    ]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
