"""Locations (mounted at /locations/ under the "locations" namespace)."""
from django.urls import path

from inventory import views_locations as views

app_name = "locations"

urlpatterns = [
    path("", views.location_list_view, name="location_list"),
    path("new/", views.location_create_view, name="location_create"),
    path("<int:location_id>/edit/", views.location_edit_view, name="location_edit"),
    path("<int:location_id>/default/", views.location_default_view, name="location_default"),
    path("<int:location_id>/deactivate/", views.location_deactivate_view, name="location_deactivate"),
    path("<int:location_id>/activate/", views.location_activate_view, name="location_activate"),
]
