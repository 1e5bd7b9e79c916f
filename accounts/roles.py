"""Roles are Django groups. This table is the one place that says what each may do."""

ADMIN = "Admin"
MANAGER = "Manager"
STAFF = "Staff"
CUSTOMER = "Customer"  # reserved for the customer portal

ROLE_ORDER = [ADMIN, MANAGER, STAFF, CUSTOMER]

STAFF_PERMISSIONS = [
    "inventory.view_category",
    "inventory.view_product",
    "inventory.view_variant",
    "inventory.view_location",
    "inventory.view_stocklevel",
    "inventory.adjust_stock",
    "inventory.view_stockmovement",
    "inventory.view_reservation",
    "orders.view_salesorder",
    "orders.add_salesorder",
    "orders.transition_salesorder",
    "suppliers.view_supplier",
    "suppliers.view_supplieritem",
    "purchasing.view_purchaseorder",
    "purchasing.receive_purchaseorder",
    "dataio.view_exportjob",
    "dataio.export_data",
    "dataio.view_importjob",
    "dataio.import_data",
]

MANAGER_PERMISSIONS = STAFF_PERMISSIONS + [
    "inventory.transfer_stock",
    "inventory.change_threshold",
    "inventory.view_prices",
    "inventory.add_category",
    "inventory.change_category",
    "inventory.add_product",
    "inventory.change_product",
    "inventory.add_variant",
    "inventory.change_variant",
    "inventory.add_location",
    "inventory.change_location",
    # Deleting is refused while anything refers to the record (it is archived instead).
    "inventory.delete_category",
    "inventory.delete_product",
    "inventory.delete_variant",
    "inventory.delete_location",
    "suppliers.add_supplier",
    "suppliers.change_supplier",
    "suppliers.delete_supplier",
    "suppliers.add_supplieritem",
    "suppliers.change_supplieritem",
    "suppliers.delete_supplieritem",
    "purchasing.add_purchaseorder",
    "purchasing.change_purchaseorder",
    "purchasing.delete_purchaseorder",
    "purchasing.transition_purchaseorder",
    "purchasing.view_reorderrule",
    "purchasing.add_reorderrule",
    "purchasing.change_reorderrule",
    "purchasing.delete_reorderrule",
    "dataio.undo_import",
    "inventory.add_reservation",
    "inventory.commit_reservation",
    "orders.refund_salesorder",
    "orders.view_stripeevent",
]

# Admin holds every permission (see roles_sync); the lists above are explicit.
ROLE_PERMISSIONS = {
    MANAGER: MANAGER_PERMISSIONS,
    STAFF: STAFF_PERMISSIONS,
    CUSTOMER: [],
}


def roles_sync(apps) -> None:
    """Create the role groups and give each its permissions. Safe to run again."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    admin, _ = Group.objects.get_or_create(name=ADMIN)
    admin.permissions.set(Permission.objects.all())
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for name in names:
            app_label, codename = name.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is None:
                raise RuntimeError(f"Permission {name} does not exist")
            perms.append(perm)
        group.permissions.set(perms)


def user_role(user) -> str:
    if not getattr(user, "is_authenticated", False):
        return ""
    if user.is_superuser:
        return ADMIN
    names = {g.name for g in user.groups.all()}
    for role in ROLE_ORDER:
        if role in names:
            return role
    return ""
