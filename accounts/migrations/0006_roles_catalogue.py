from django.db import migrations


def sync_roles(apps, schema_editor):
    # Managers manage the catalogue: they may also delete categories, products, variants and
    # locations (the services refuse while anything refers to them: those are archived).
    from accounts.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_roles_backups"),
        ("inventory", "0007_catalogue_images_address_active"),
    ]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
