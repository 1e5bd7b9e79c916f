from django.urls import path

from inventory import views as inventory_views

app_name = "core"

urlpatterns = [
    path("", inventory_views.dashboard_view, name="dashboard"),
    path("messages/", inventory_views.messages_view, name="messages"),
]
