from django.contrib import admin
from django.urls import include, path

from core.views import favicon_view, healthz_view
from inventory import urls as inventory_urls
from inventory.views_media import media_view
from orders.webhooks import stripe_webhook_view
from purchasing import urls_alerts as purchasing_alert_urls

urlpatterns = [
    path("healthz", healthz_view, name="healthz"),
    path("favicon.ico", favicon_view, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("api.urls")),
    # The stock pages and, beside them, purchasing's alerts and reorder screens: one
    # "inventory" namespace.
    path("inventory/", include((inventory_urls.urlpatterns + purchasing_alert_urls.urlpatterns, "inventory"))),
    path("orders/", include("orders.urls")),
    path("suppliers/", include("suppliers.urls")),
    path("products/", include("inventory.urls_products")),
    path("categories/", include("inventory.urls_categories")),
    path("locations/", include("inventory.urls_locations")),
    path("media/<path:path>", media_view, name="media"),
    path("purchase-orders/", include("purchasing.urls")),
    path("data/", include("dataio.urls")),
    path("backups/", include("backups.urls")),
    path("webhooks/stripe/", stripe_webhook_view, name="stripe_webhook"),
    path("", include(("inventory.urls_home", "core"))),
]

handler400 = "core.views.bad_request_view"
handler403 = "core.views.permission_denied_view"
handler404 = "core.views.page_not_found_view"
handler500 = "core.views.server_error_view"
