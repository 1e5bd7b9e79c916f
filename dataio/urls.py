from django.urls import path

from dataio import views, views_exports

app_name = "dataio"

urlpatterns = [
    path("exports/", views_exports.export_list_view, name="export_list"),
    path("exports/filters/", views_exports.export_filters_view, name="export_filters"),
    path("exports/<int:export_id>/", views_exports.export_detail_view, name="export_detail"),
    path("exports/<int:export_id>/download/", views_exports.export_download_view, name="export_download"),
    path("exports/templates/<slug:import_type>.<slug:fmt>", views_exports.export_template_view, name="export_template"),
    path("imports/", views.import_list_view, name="import_list"),
    path("imports/<int:import_id>/", views.import_detail_view, name="import_detail"),
    path("imports/<int:import_id>/progress/", views.import_progress_view, name="import_progress"),
    path("imports/<int:import_id>/process/", views.import_process_view, name="import_process"),
    path("imports/<int:import_id>/undo/", views.import_undo_view, name="import_undo"),
    path("imports/<int:import_id>/errors.csv", views.import_errors_view, name="import_errors"),
    path("bulk-update/", views.bulk_update_view, name="bulk_update"),
    path("bulk-update/variants/", views.variant_search_view, name="variant_search"),
]
