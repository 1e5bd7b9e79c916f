from django.urls import path

from inventory import views, views_alerts

app_name = "inventory"

urlpatterns = [
    path("", views.stock_list_view, name="stock_list"),
    path("levels/<int:pk>/row/", views.stock_row_view, name="stock_row"),
    path("variants/<str:sku>/", views.variant_detail_view, name="variant_detail"),
    path("variants/<str:sku>/adjust/", views.stock_adjust_view, name="stock_adjust"),
    path("variants/<str:sku>/count/", views.stock_count_view, name="stock_count"),
    path("variants/<str:sku>/transfer/", views.stock_transfer_view, name="stock_transfer"),
    path("variants/<str:sku>/reorder-rule/", views_alerts.reorder_rule_view, name="reorder_rule"),
    path("variants/<str:sku>/reorder-rule/delete/", views_alerts.reorder_rule_delete_view, name="reorder_rule_delete"),
    path("levels/<int:pk>/settings/", views_alerts.level_settings_view, name="level_settings"),
    path("levels/<int:pk>/alert-row/", views_alerts.alert_row_view, name="alert_row"),
    path("alerts/", views_alerts.alert_list_view, name="alert_list"),
    path("alerts/reorder/", views_alerts.alert_reorder_view, name="alert_reorder"),
    path("history/", views.movement_list_view, name="movement_list"),
    path("history/export.csv", views.movement_export_view, name="movement_export"),
]
