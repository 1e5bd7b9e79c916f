import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0006_stockmovement_import_job"),
        ("orders", "0002_salesorder_confirmation_sent_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="salesorder",
            name="ship_from",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="shipping_orders", to="inventory.location"),
        ),
        migrations.CreateModel(
            name="OrderPayment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("method", models.CharField(choices=[("CASH", "Cash"), ("CARD", "Card"),
                                                     ("BANK_TRANSFER", "Bank transfer"), ("OTHER", "Other")],
                                            max_length=20)),
                ("reference", models.CharField(blank=True, max_length=100)),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("order", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="payments",
                                            to="orders.salesorder")),
                ("recorded_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                  related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["created_at", "id"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="orderpayment_amount_positive"),
                    models.CheckConstraint(
                        condition=models.Q(("method__in", ["CASH", "CARD", "BANK_TRANSFER", "OTHER"])),
                        name="orderpayment_method_known",
                    ),
                ],
            },
        ),
    ]
