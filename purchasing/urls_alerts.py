"""The low-stock alerts and reorder screens, served under /inventory/.

config/urls.py adds these to inventory's URL patterns in the "inventory" namespace, so
their paths and names (inventory:alert_list, inventory:reorder_rule, ...) are those of the
stock pages they sit beside.
"""
from django.urls import path

from purchasing import views_alerts

urlpatterns = [
    path("variants/<str:sku>/reorder-rule/", views_alerts.reorder_rule_view, name="reorder_rule"),
    path("variants/<str:sku>/reorder-rule/delete/", views_alerts.reorder_rule_delete_view, name="reorder_rule_delete"),
    path("levels/<int:pk>/settings/", views_alerts.level_settings_view, name="level_settings"),
    path("levels/<int:pk>/alert-row/", views_alerts.alert_row_view, name="alert_row"),
    path("alerts/", views_alerts.alert_list_view, name="alert_list"),
    path("alerts/reorder/", views_alerts.alert_reorder_view, name="alert_reorder"),
]
