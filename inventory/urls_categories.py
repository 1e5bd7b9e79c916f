"""Categories (mounted at /categories/ under the "categories" namespace)."""
from django.urls import path

from inventory import views_categories as views

app_name = "categories"

urlpatterns = [
    path("", views.category_list_view, name="category_list"),
    path("new/", views.category_create_view, name="category_create"),
    path("<int:category_id>/edit/", views.category_edit_view, name="category_edit"),
    path("<int:category_id>/archive/", views.category_archive_view, name="category_archive"),
    path("<int:category_id>/restore/", views.category_restore_view, name="category_restore"),
    path("<int:category_id>/delete/", views.category_delete_view, name="category_delete"),
]
