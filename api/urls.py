from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from api import views

app_name = "api"

urlpatterns = [
    path("stock/", views.stock_list_view, name="stock_list"),
    # The operations come before stock/<sku>/ so that they are not taken for SKUs.
    path("stock/adjust/", views.stock_adjust_view, name="stock_adjust"),
    path("stock/count/", views.stock_count_view, name="stock_count"),
    path("stock/transfer/", views.stock_transfer_view, name="stock_transfer"),
    path("stock/<str:sku>/", views.stock_detail_view, name="stock_detail"),
    path("movements/", views.movement_list_view, name="movement_list"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path("docs/", views.api_docs_view, name="docs"),
]
