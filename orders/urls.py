from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list_view, name="order_list"),
    path("new/", views.order_create_view, name="order_create"),
    path("variants/search/", views.variant_search_view, name="variant_search"),
    path("lines/availability/", views.line_availability_view, name="line_availability"),
    path("<str:number>/", views.order_detail_view, name="order_detail"),
    path("<str:number>/transition/", views.order_transition_view, name="order_transition"),
    path("<str:number>/edit/", views.order_edit_view, name="order_edit"),
    path("<str:number>/ship-from/", views.order_ship_from_view, name="order_ship_from"),
    path("<str:number>/payments/", views.order_payment_view, name="order_payment"),
    path("<str:number>/return/", views.order_return_view, name="order_return"),
    path("<str:number>/refund-lines/", views.order_refund_lines_view, name="order_refund_lines"),
]
