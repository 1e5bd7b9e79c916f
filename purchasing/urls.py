from django.urls import path

from purchasing import views

app_name = "purchasing"

urlpatterns = [
    path("", views.order_list_view, name="order_list"),
]
