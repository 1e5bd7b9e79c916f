from django.urls import path

from purchasing import views

app_name = "purchasing"

urlpatterns = [
    path("", views.order_list_view, name="order_list"),
    path("new/", views.order_create_view, name="order_create"),
    path("variants/search/", views.variant_search_view, name="variant_search"),
    path("lines/new/", views.line_row_view, name="line_row"),
    path("<int:po_id>/", views.order_detail_view, name="order_detail"),
    path("<int:po_id>/edit/", views.order_edit_view, name="order_edit"),
    path("<int:po_id>/delete/", views.order_delete_view, name="order_delete"),
    path("<int:po_id>/transition/", views.order_transition_view, name="order_transition"),
    path("<int:po_id>/receive/", views.order_receive_view, name="order_receive"),
    path("<int:po_id>/print/", views.order_print_view, name="order_print"),
]
