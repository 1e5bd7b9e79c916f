from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from api import suppliers as supplier_views
from api import categories as category_views
from api import locations as location_views
from api import products as product_views
from api import imports as import_views
from api import alerts, cart, checkout, docs, movements, orders, reservations, root, stock
from api import backups as backup_views
from api import exports as export_views
from api import purchasing as purchase_order_views

app_name = "api"

urlpatterns = [
    path("", root.api_root_view, name="root"),
    path("stock/", stock.stock_list_view, name="stock_list"),
    # The operations come before stock/<sku>/ so that they are not taken for SKUs.
    path("stock/adjust/", stock.stock_adjust_view, name="stock_adjust"),
    path("stock/count/", stock.stock_count_view, name="stock_count"),
    path("stock/transfer/", stock.stock_transfer_view, name="stock_transfer"),
    path("stock/low/", alerts.stock_low_list_view, name="stock_low"),
    path("stock/<str:sku>/", stock.stock_detail_view, name="stock_detail"),
    path("movements/", movements.movement_list_view, name="movement_list"),
    path("cart/validate/", cart.cart_validate_view, name="cart_validate"),
    path("reservations/", reservations.reservation_list_view, name="reservation_list"),
    path("reservations/<int:pk>/", reservations.reservation_detail_view, name="reservation_detail"),
    path("reservations/<int:pk>/commit/", reservations.reservation_commit_view, name="reservation_commit"),
    path("reservations/<int:pk>/release/", reservations.reservation_release_view, name="reservation_release"),
    path("checkout/", checkout.checkout_view, name="checkout"),
    path("orders/", orders.order_list_view, name="order_list"),
    path("orders/<str:number>/", orders.order_detail_view, name="order_detail"),
    path("orders/<str:number>/transition/", orders.order_transition_view, name="order_transition"),
    path("orders/<str:number>/payments/", orders.order_payment_view, name="order_payment"),
    path("suppliers/", supplier_views.supplier_list_view, name="supplier_list"),
    path("suppliers/<int:supplier_id>/", supplier_views.supplier_detail_view, name="supplier_detail"),
    path("suppliers/<int:supplier_id>/items/", supplier_views.supplier_item_list_view, name="supplier_item_list"),
    path("suppliers/<int:supplier_id>/items/<int:item_id>/", supplier_views.supplier_item_detail_view,
         name="supplier_item_detail"),
    path("products/", product_views.product_list_view, name="product_list"),
    path("products/<int:product_id>/", product_views.product_detail_view, name="product_detail"),
    path("products/<int:product_id>/archive/", product_views.product_archive_view, name="product_archive"),
    path("products/<int:product_id>/variants/", product_views.product_variants_view, name="product_variants"),
    path("products/<int:product_id>/variants/<int:variant_id>/", product_views.product_variant_detail_view,
         name="product_variant_detail"),
    path("categories/", category_views.category_list_view, name="category_list"),
    path("categories/<int:category_id>/", category_views.category_detail_view, name="category_detail"),
    path("locations/", location_views.location_list_view, name="location_list"),
    path("locations/<int:location_id>/", location_views.location_detail_view, name="location_detail"),
    path("purchase-orders/", purchase_order_views.purchase_order_list_view, name="purchase_order_list"),
    path("purchase-orders/<int:po_id>/", purchase_order_views.purchase_order_detail_view, name="purchase_order_detail"),
    path("purchase-orders/<int:po_id>/transition/", purchase_order_views.purchase_order_transition_view,
         name="purchase_order_transition"),
    path("purchase-orders/<int:po_id>/receive/", purchase_order_views.purchase_order_receive_view,
         name="purchase_order_receive"),
    path("imports/", import_views.import_list_view, name="import_list"),
    path("imports/<int:import_id>/", import_views.import_detail_view, name="import_detail"),
    path("imports/<int:import_id>/process/", import_views.import_process_view, name="import_process"),
    path("imports/<int:import_id>/undo/", import_views.import_undo_view, name="import_undo"),
    path("imports/<int:import_id>/errors/", import_views.import_errors_view, name="import_errors"),
    path("exports/", export_views.export_list_view, name="export_list"),
    # Templates before exports/<id>/ (a template's name is no id, but keep them apart).
    path("exports/templates/<slug:import_type>.<slug:fmt>", export_views.export_template_view,
         name="export_template"),
    path("exports/<int:export_id>/", export_views.export_detail_view, name="export_detail"),
    path("exports/<int:export_id>/download/", export_views.export_download_view, name="export_download"),
    path("backups/", backup_views.backup_list_view, name="backup_list"),
    path("backups/<int:backup_id>/", backup_views.backup_detail_view, name="backup_detail"),
    path("backups/<int:backup_id>/download/", backup_views.backup_download_view, name="backup_download"),
    path("backups/<int:backup_id>/verify/", backup_views.backup_verify_view, name="backup_verify"),
    path("backups/<int:backup_id>/restore/", backup_views.backup_restore_view, name="backup_restore"),
    path("restores/<int:run_id>/", backup_views.restore_detail_view, name="restore_detail"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path("docs/", docs.api_docs_view, name="docs"),
]
