"""Server-rendered supplier pages. Each view parses input with a form, reads with a selector or
calls one supplier service, and picks a full page or, for htmx requests, a fragment."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import ApplicationError, Conflict
from core.forms import form_error_add
from core.htmx import fragment_requested, render_page_or_fragment
from core.pagination import page_get
from core.selectors import audit_list_for
from core.shortcuts import get_or_404
from suppliers.forms import (
    SupplierFilterForm,
    SupplierForm,
    SupplierItemCreateForm,
    SupplierItemEditForm,
    SupplierItemFilterForm,
    VariantSearchForm,
)
from suppliers.models import Supplier, SupplierItem
from suppliers.selectors import (
    supplier_get,
    supplier_history,
    supplier_item_get,
    supplier_items,
    supplier_list,
    variant_search,
)
from suppliers.services import (
    supplier_activate,
    supplier_create,
    supplier_deactivate,
    supplier_delete,
    supplier_item_create,
    supplier_item_delete,
    supplier_item_update,
    supplier_update,
)

SUPPLIER_PAGE_SIZE = 25
ITEM_PAGE_SIZE = 25
DETAIL_CHANGES = 20
PRICES_PERM = "inventory.view_prices"


def _show_cost(request) -> bool:
    return request.user.has_perm(PRICES_PERM)


def _detail_url(supplier: Supplier, anchor: str = "") -> str:
    url = reverse("suppliers:supplier_detail", kwargs={"supplier_id": supplier.pk})
    return f"{url}#{anchor}" if anchor else url


def _item_rows_context(request, supplier: Supplier) -> dict:
    """One page of the supplier's items, searched by `?q=` (SKU, product, supplier SKU)."""
    filters = SupplierItemFilterForm(request.GET)
    q = filters.cleaned_data.get("q", "") if filters.is_valid() else ""
    page = page_get(request, supplier_items(supplier=supplier, q=q), default=ITEM_PAGE_SIZE)
    return {"supplier": supplier, "items": page.object_list, "page_obj": page, "item_q": q,
            "item_list_url": _detail_url(supplier)}


def _items_context(request, supplier: Supplier, *, item_form=None) -> dict:
    can_add = request.user.has_perm("suppliers.add_supplieritem")
    if can_add and item_form is None:
        item_form = SupplierItemCreateForm(show_cost=_show_cost(request))
    return {**_item_rows_context(request, supplier), "item_form": item_form if can_add else None}


def _sections_context(request, supplier: Supplier) -> dict:
    """What the apps above suppliers add to the supplier page (purchasing: its orders and
    delivery performance), named by settings.SUPPLIER_PAGE_CONTEXT: callables
    `(request, supplier) -> dict` that suppliers does not import."""
    context: dict = {}
    for dotted_path in settings.SUPPLIER_PAGE_CONTEXT:
        context.update(import_string(dotted_path)(request, supplier))
    return context


def _detail_context(request, supplier: Supplier, *, item_form=None) -> dict:
    return {
        **_items_context(request, supplier, item_form=item_form),
        **_sections_context(request, supplier),
        "changes": list(audit_list_for(obj=supplier, limit=DETAIL_CHANGES)),
        "changes_limit": DETAIL_CHANGES,
    }


# --- pages ----------------------------------------------------------------

@permission_required("suppliers.view_supplier", raise_exception=True)
@require_GET
def supplier_list_view(request):
    form = SupplierFilterForm(request.GET)
    form.is_valid()  # invalid parameters are dropped; valid ones still filter
    suppliers = supplier_list(q=form.cleaned_data.get("q", ""), active=form.active_value())
    page = page_get(request, suppliers, default=SUPPLIER_PAGE_SIZE)
    context = {"form": form, "page_obj": page}
    return render_page_or_fragment(request, "suppliers/supplier_list.html", "supplier-rows", context)


@permission_required("suppliers.view_supplier", raise_exception=True)
@require_GET
def supplier_detail_view(request, supplier_id: int):
    supplier = get_or_404(supplier_get, pk=supplier_id)
    if fragment_requested(request):  # the item list's search, pages and page size
        return render_page_or_fragment(request, "suppliers/supplier_detail.html", "supplier-item-rows",
                                       _item_rows_context(request, supplier))
    return render_page_or_fragment(request, "suppliers/supplier_detail.html", "supplier-item-rows",
                                   _detail_context(request, supplier))


@permission_required("suppliers.add_supplier", raise_exception=True)
@require_http_methods(["GET", "POST"])
def supplier_create_view(request):
    if request.method == "POST":
        form = SupplierForm(request.POST)
        if form.is_valid():
            try:
                supplier = supplier_create(**form.cleaned_data, user=request.user)
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, f"Supplier {supplier.name} created: add the SKUs it sells you.")
                return redirect("suppliers:supplier_detail", supplier_id=supplier.pk)
    else:
        form = SupplierForm()
    return render(request, "suppliers/supplier_form.html", {"form": form, "supplier": None})


@permission_required("suppliers.change_supplier", raise_exception=True)
@require_http_methods(["GET", "POST"])
def supplier_edit_view(request, supplier_id: int):
    supplier = get_or_404(supplier_get, pk=supplier_id)
    if request.method == "POST":
        form = SupplierForm(request.POST)
        if form.is_valid():
            try:
                supplier = supplier_update(supplier=supplier, **form.cleaned_data, user=request.user)
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, f"Supplier {supplier.name} saved.")
                return redirect("suppliers:supplier_detail", supplier_id=supplier.pk)
    else:
        form = SupplierForm(initial={field: getattr(supplier, field) for field in SupplierForm.base_fields})
    return render(request, "suppliers/supplier_form.html", {"form": form, "supplier": supplier})


@permission_required("suppliers.delete_supplier", raise_exception=True)
@require_http_methods(["GET", "POST"])
def supplier_delete_view(request, supplier_id: int):
    """GET asks to confirm (or says up front why it cannot be deleted); POST deletes or refuses."""
    supplier = get_or_404(supplier_get, pk=supplier_id)
    refusal, status = "", 200
    if request.method == "POST":
        try:
            supplier_delete(supplier=supplier, user=request.user)
        except Conflict as exc:
            refusal, status = exc.message, 409
        else:
            messages.success(request, f"Supplier {supplier.name} deleted.")
            return redirect("suppliers:supplier_list")
    history = supplier_history(supplier=supplier)
    context = {"supplier": supplier, "history": history, "refusal": refusal}
    return render(request, "suppliers/supplier_delete.html", context, status=status)


def _set_active(request, supplier_id: int, *, active: bool):
    supplier = get_or_404(supplier_get, pk=supplier_id)
    if request.method == "GET":  # e.g. back here after logging in again: show the supplier
        return redirect("suppliers:supplier_detail", supplier_id=supplier.pk)
    service = supplier_activate if active else supplier_deactivate
    try:
        supplier = service(supplier=supplier, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if active:
            messages.success(request, f"Supplier {supplier.name} is active again.")
        else:
            messages.success(request, f"Supplier {supplier.name} is deactivated: no new purchase orders go to it; "
                                      "its history stays.")
    return redirect("suppliers:supplier_detail", supplier_id=supplier.pk)


@permission_required("suppliers.change_supplier", raise_exception=True)
@require_http_methods(["GET", "POST"])
def supplier_deactivate_view(request, supplier_id: int):
    return _set_active(request, supplier_id, active=False)


@permission_required("suppliers.change_supplier", raise_exception=True)
@require_http_methods(["GET", "POST"])
def supplier_activate_view(request, supplier_id: int):
    return _set_active(request, supplier_id, active=True)


# --- items ------------------------------------------------------------------

def _items_fragment(request, supplier: Supplier, *, item_form=None, status: int = 200):
    return render(request, "suppliers/supplier_detail.html#supplier-items",
                  _items_context(request, supplier, item_form=item_form), status=status)


@permission_required("suppliers.add_supplieritem", raise_exception=True)
@require_http_methods(["GET", "POST"])
def supplier_item_create_view(request, supplier_id: int):
    supplier = get_or_404(supplier_get, pk=supplier_id)
    if request.method == "GET":
        return redirect(_detail_url(supplier, "supplier-items"))
    form = SupplierItemCreateForm(request.POST, show_cost=_show_cost(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            item = supplier_item_create(
                supplier=supplier,
                variant=data["variant"],
                supplier_sku=data["supplier_sku"],
                unit_cost=data.get("unit_cost"),
                lead_time_days=data["lead_time_days"],
                minimum_order_quantity=data["minimum_order_quantity"],
                preferred=data["preferred"],
            )
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            messages.success(request, f"{item.variant.sku} added to {supplier.name}.")
            if request.htmx:
                return _items_fragment(request, supplier)
            return redirect(_detail_url(supplier, "supplier-items"))
    if request.htmx:
        return _items_fragment(request, supplier, item_form=form)
    return render(request, "suppliers/supplier_detail.html", _detail_context(request, supplier, item_form=form),
                  status=400)


@permission_required("suppliers.view_supplieritem", raise_exception=True)
@require_GET
def supplier_item_row_view(request, supplier_id: int, item_id: int):
    """The display row of an item (the inline edit's Cancel)."""
    supplier = get_or_404(supplier_get, pk=supplier_id)
    item = get_or_404(supplier_item_get, supplier=supplier, pk=item_id)
    if not request.htmx:
        return redirect(_detail_url(supplier, f"item-{item.pk}"))
    return render(request, "suppliers/partials/_item_row.html", {"supplier": supplier, "item": item})


def _item_edit_initial(item: SupplierItem) -> dict:
    return {field: getattr(item, field) for field in SupplierItemEditForm.base_fields}


@permission_required("suppliers.change_supplieritem", raise_exception=True)
@require_http_methods(["GET", "POST"])
def supplier_item_edit_view(request, supplier_id: int, item_id: int):
    """Inline edit: GET answers the edit row (a page without htmx), POST the display row."""
    supplier = get_or_404(supplier_get, pk=supplier_id)
    item = get_or_404(supplier_item_get, supplier=supplier, pk=item_id)
    show_cost = _show_cost(request)
    if request.method == "POST":
        form = SupplierItemEditForm(request.POST, show_cost=show_cost)
        if form.is_valid():
            try:
                item = supplier_item_update(item=item, **form.cleaned_data)
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                if request.htmx:
                    return render(request, "suppliers/partials/_item_row.html",
                                  {"supplier": supplier, "item": item, "saved": True})
                messages.success(request, f"{item.variant.sku} saved.")
                return redirect(_detail_url(supplier, f"item-{item.pk}"))
    else:
        form = SupplierItemEditForm(initial=_item_edit_initial(item), show_cost=show_cost)
    context = {"supplier": supplier, "item": item, "form": form}
    status = 400 if form.is_bound else 200
    if request.htmx:
        return render(request, "suppliers/partials/_item_edit_row.html", context, status=200)
    return render(request, "suppliers/supplier_item_edit.html", context, status=status)


@permission_required("suppliers.delete_supplieritem", raise_exception=True)
@require_http_methods(["GET", "POST"])
def supplier_item_delete_view(request, supplier_id: int, item_id: int):
    """GET asks to confirm (pages without JavaScript); POST removes the item."""
    supplier = get_or_404(supplier_get, pk=supplier_id)
    item = get_or_404(supplier_item_get, supplier=supplier, pk=item_id)
    if request.method == "GET":
        return render(request, "suppliers/supplier_item_delete.html", {"supplier": supplier, "item": item})
    supplier_item_delete(item=item)
    messages.success(request, f"{item.variant.sku} removed from {supplier.name}.")
    if request.htmx:
        # The row is swapped for nothing; the message goes to the layout's messages region.
        return render(request, "suppliers/partials/_messages_oob.html")
    return redirect(_detail_url(supplier, "supplier-items"))


@permission_required("suppliers.add_supplieritem", raise_exception=True)
@require_GET
def supplier_variant_search_view(request):
    """Options for the add-item form's SKU <datalist>."""
    term = VariantSearchForm(request.GET).term
    variants = list(variant_search(q=term)) if term else []
    return render(request, "suppliers/partials/_variant_options.html", {"variants": variants})
