from django.urls import path

from suppliers import views

app_name = "suppliers"

urlpatterns = [
    path("", views.supplier_list_view, name="supplier_list"),
]
