from django.urls import path

from suppliers import views

app_name = "suppliers"

urlpatterns = [
    path("", views.supplier_list_view, name="supplier_list"),
    path("new/", views.supplier_create_view, name="supplier_create"),
    path("variants/search/", views.supplier_variant_search_view, name="variant_search"),
    path("<int:supplier_id>/", views.supplier_detail_view, name="supplier_detail"),
    path("<int:supplier_id>/edit/", views.supplier_edit_view, name="supplier_edit"),
    path("<int:supplier_id>/delete/", views.supplier_delete_view, name="supplier_delete"),
    path("<int:supplier_id>/deactivate/", views.supplier_deactivate_view, name="supplier_deactivate"),
    path("<int:supplier_id>/activate/", views.supplier_activate_view, name="supplier_activate"),
    path("<int:supplier_id>/items/", views.supplier_item_create_view, name="supplier_item_create"),
    path("<int:supplier_id>/items/<int:item_id>/", views.supplier_item_row_view, name="supplier_item_row"),
    path("<int:supplier_id>/items/<int:item_id>/edit/", views.supplier_item_edit_view, name="supplier_item_edit"),
    path("<int:supplier_id>/items/<int:item_id>/delete/", views.supplier_item_delete_view,
         name="supplier_item_delete"),
]
