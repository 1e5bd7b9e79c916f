from django.contrib import admin
from django.urls import include, path

from core.views import healthz_view

urlpatterns = [
    path("healthz", healthz_view, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("api.urls")),
    path("inventory/", include("inventory.urls")),
    path("", include("core.urls")),
]
