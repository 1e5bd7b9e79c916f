from django.urls import path

from backups import views

app_name = "backups"

urlpatterns = [
    path("", views.backup_list_view, name="backup_list"),
    path("restore/", views.restore_upload_view, name="restore_upload"),
    path("restores/<int:run_id>/", views.restore_detail_view, name="restore_detail"),
    path("restores/<int:run_id>/again/", views.restore_again_view, name="restore_again"),
    path("schedule/", views.schedule_view, name="schedule"),
    path("<int:backup_id>/", views.backup_detail_view, name="backup_detail"),
    path("<int:backup_id>/status/", views.backup_status_view, name="backup_status"),
    path("<int:backup_id>/download/", views.backup_download_view, name="backup_download"),
    path("<int:backup_id>/delete/", views.backup_delete_view, name="backup_delete"),
    path("<int:backup_id>/verify/", views.backup_verify_view, name="backup_verify"),
    path("<int:backup_id>/restore/", views.backup_restore_view, name="backup_restore"),
]
