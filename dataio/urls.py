from django.urls import path

from dataio import views

app_name = "dataio"

urlpatterns = [
    path("exports/", views.export_list_view, name="export_list"),
    path("imports/", views.import_list_view, name="import_list"),
    path("bulk-update/", views.bulk_update_view, name="bulk_update"),
]
