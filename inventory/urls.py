from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock_list_view, name="stock_list"),
    path("levels/<int:pk>/row/", views.stock_row_view, name="stock_row"),
    path("variants/<str:sku>/", views.variant_detail_view, name="variant_detail"),
    path("variants/<str:sku>/adjust/", views.stock_adjust_view, name="stock_adjust"),
    path("variants/<str:sku>/count/", views.stock_count_view, name="stock_count"),
    path("variants/<str:sku>/transfer/", views.stock_transfer_view, name="stock_transfer"),
    path("history/", views.movement_list_view, name="movement_list"),
    path("history/export.csv", views.movement_export_view, name="movement_export"),
]
