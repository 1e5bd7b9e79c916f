"""The dashboard (site root) and the messages page.

config/urls.py mounts these at "" under the "core" namespace, so `core:dashboard` and
`core:messages` keep their names.
"""
from django.urls import path

from inventory import views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("messages/", views.messages_view, name="messages"),
]
