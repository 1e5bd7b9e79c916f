from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery

# How the order's timeline has recorded a sent confirmation (orders.services.orders).
SENT_MESSAGE_PREFIX = "Confirmation email sent"


def backfill_confirmation_sent_at(apps, schema_editor):
    """Orders whose timeline says the confirmation left get the time of its first such event."""
    SalesOrder = apps.get_model("orders", "SalesOrder")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    sent = OrderEvent.objects.filter(order=OuterRef("pk"), message__startswith=SENT_MESSAGE_PREFIX)
    SalesOrder.objects.filter(Exists(sent), confirmation_sent_at__isnull=True).update(
        confirmation_sent_at=Subquery(sent.order_by("created_at", "id").values("created_at")[:1]),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="salesorder",
            name="confirmation_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill_confirmation_sent_at, migrations.RunPython.noop, elidable=True),
    ]
