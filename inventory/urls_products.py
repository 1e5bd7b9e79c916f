"""Products (mounted at /products/ under the "products" namespace)."""
from django.urls import path

from inventory import views_products as views

app_name = "products"

urlpatterns = [
    path("", views.product_list_view, name="product_list"),
    path("new/", views.product_create_view, name="product_create"),
    path("<int:product_id>/", views.product_detail_view, name="product_detail"),
    path("<int:product_id>/edit/", views.product_edit_view, name="product_edit"),
    path("<int:product_id>/archive/", views.product_archive_view, name="product_archive"),
    path("<int:product_id>/restore/", views.product_restore_view, name="product_restore"),
    path("<int:product_id>/delete/", views.product_delete_view, name="product_delete"),
    path("<int:product_id>/variants/add/", views.variant_add_view, name="variant_add"),
    path("<int:product_id>/variants/<int:variant_id>/edit/", views.variant_edit_view, name="variant_edit"),
    path("<int:product_id>/variants/<int:variant_id>/archive/", views.variant_archive_view, name="variant_archive"),
    path("<int:product_id>/variants/<int:variant_id>/restore/", views.variant_restore_view, name="variant_restore"),
    path("<int:product_id>/variants/<int:variant_id>/delete/", views.variant_delete_view, name="variant_delete"),
]
