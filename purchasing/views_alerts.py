"""Low-stock alerts: the alerts page, inline threshold editing, quick reorder into draft
purchase orders, and a variant's min/max reorder rule.

Served under /inventory/ in the "inventory" URL namespace (config/urls.py); the variant
page gets its reorder-rule section from `reorder_rule_context`
(settings.INVENTORY_VARIANT_PAGE_CONTEXT)."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from core.forms import form_error_add
from core.htmx import render_page_or_fragment
from core.pagination import page_get
from core.shortcuts import get_or_404
from inventory.models import Variant
from inventory.selectors import variant_get
from inventory.services import stock_level_settings_update
from inventory.views import variant_changes_context
from purchasing.forms_alerts import AlertFilterForm, LevelSettingsForm, ReorderRuleForm
from purchasing.selectors import (
    reorder_rule_of_variant,
    reorder_supplier_choices,
    stock_alert_get,
    stock_alert_levels,
    stock_alert_list,
)
from purchasing.services import low_stock_reorder, reorder_rule_delete, reorder_rule_set

MAX_REORDER_LEVELS = 500


def _row_context(request, level) -> dict:
    return {
        "level": level,
        "can_edit": request.user.has_perm("inventory.change_threshold"),
        "can_reorder": request.user.has_perm("purchasing.add_purchaseorder"),
    }


# --- the alerts page ------------------------------------------------------

@permission_required("inventory.view_stocklevel", raise_exception=True)
@require_GET
def alert_list_view(request):
    form = AlertFilterForm(request.GET)
    form.is_valid()  # invalid parameters are dropped; valid ones still filter
    filters = form.cleaned_data
    alerts = stock_alert_list(
        q=filters.get("q", ""),
        location=filters.get("location"),
        critical_only=bool(filters.get("critical")),
    )
    page = page_get(request, alerts, default=settings.INVENTORY_PAGE_SIZE)
    context = {
        "form": form,
        "page_obj": page,
        "can_edit": request.user.has_perm("inventory.change_threshold"),
        "can_reorder": request.user.has_perm("purchasing.add_purchaseorder"),
    }
    return render_page_or_fragment(request, "purchasing/alert_list.html", "alert-rows", context)


@permission_required("inventory.view_stocklevel", raise_exception=True)
@require_GET
def alert_row_view(request, pk: int):
    """One alert row as displayed (the inline edit's Cancel)."""
    level = get_or_404(stock_alert_get, pk=pk)
    return render(request, "purchasing/partials/_alert_row.html", _row_context(request, level))


@permission_required("inventory.change_threshold", raise_exception=True)
@require_http_methods(["GET", "POST"])
def level_settings_view(request, pk: int):
    """Inline edit of a level's threshold and reorder quantity: GET gives the edit row,
    POST saves and gives the display row. Without htmx, a small page of its own."""
    level = get_or_404(stock_alert_get, pk=pk)
    if request.method == "POST":
        form = LevelSettingsForm(request.POST)
        if form.is_valid():
            try:
                stock_level_settings_update(
                    level=level,
                    low_stock_threshold=form.cleaned_data["low_stock_threshold"],
                    reorder_quantity=form.cleaned_data["reorder_quantity"],
                    user=request.user,
                )
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                if request.htmx:
                    return render(request, "purchasing/partials/_alert_row.html",
                                  _row_context(request, get_or_404(stock_alert_get, pk=pk)))
                messages.success(
                    request,
                    f"{level.variant.sku} at {level.location.code}: low at {form.cleaned_data['low_stock_threshold']}, "
                    f"reorder quantity {form.cleaned_data['reorder_quantity']}.",
                )
                return redirect("inventory:alert_list")
    else:
        form = LevelSettingsForm(initial={
            "low_stock_threshold": level.low_stock_threshold,
            "reorder_quantity": level.reorder_quantity,
        })
    context = {**_row_context(request, level), "form": form}
    if request.htmx:
        return render(request, "purchasing/partials/_alert_edit_row.html", context)
    return render(request, "purchasing/level_settings.html", context)


# --- quick reorder --------------------------------------------------------

def _int_or_none(value: str) -> int | None:
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def _purchase_order_url(order) -> str:
    try:
        return reverse("purchasing:order_detail", kwargs={"po_id": order.pk})
    except NoReverseMatch:
        return f"/purchase-orders/{order.pk}/"


def _reorder_page(request, *, levels: list, orders: list, unassigned_ids: set[int], errors: list[str],
                  choices: dict, status: int = 200):
    unassigned = []
    for level in levels:
        if level.variant_id not in unassigned_ids:
            continue
        entry = next((u for u in unassigned if u["variant"].pk == level.variant_id), None)
        if entry is None:
            entry = {"variant": level.variant, "levels": [], "chosen": choices.get(level.variant_id)}
            unassigned.append(entry)
        entry["levels"].append(level)
    context = {
        "orders": orders,
        "unassigned": unassigned,
        "suppliers": list(reorder_supplier_choices()) if unassigned else [],
        "errors": errors,
    }
    return render(request, "purchasing/alert_reorder.html", context, status=status)


@permission_required("purchasing.add_purchaseorder", raise_exception=True)
@require_POST
def alert_reorder_view(request):
    """Draft purchase orders for the selected alerts, one per preferred supplier; SKUs
    without one come back with a choice of supplier (`supplier_<variant id>`)."""
    raw = request.POST.getlist("level")[:MAX_REORDER_LEVELS + 1]
    level_ids = [_int_or_none(value) for value in raw]
    if any(pk is None for pk in level_ids) or len(level_ids) > MAX_REORDER_LEVELS:
        messages.error(request, f"The selection was not understood: select up to {MAX_REORDER_LEVELS} alerts again.")
        return redirect("inventory:alert_list")
    level_ids = sorted(set(level_ids))
    if not level_ids:
        messages.warning(request, "Select at least one alert to reorder: nothing was drafted.")
        return redirect("inventory:alert_list")
    levels = list(stock_alert_levels(ids=level_ids))
    if len(levels) != len(level_ids):
        messages.error(request, "Some of the selected stock levels no longer exist: reload the page and select again.")
        return redirect("inventory:alert_list")

    variants = {level.variant_id: level.variant for level in levels}
    suppliers = None
    choices, errors = {}, []
    for key, value in request.POST.items():
        if not key.startswith("supplier_") or not value:
            continue
        variant_id = _int_or_none(key.removeprefix("supplier_"))
        if variant_id not in variants:
            continue  # not one of the selected SKUs: ignored
        if suppliers is None:
            suppliers = {supplier.pk: supplier for supplier in reorder_supplier_choices()}
        supplier = suppliers.get(_int_or_none(value))
        if supplier is None:
            errors.append(f"{variants[variant_id].sku}: choose one of the listed active suppliers.")
        else:
            choices[variant_id] = supplier
    if errors:
        unassigned_ids = {level.variant_id for level in levels if level.preferred_supplier_id is None}
        return _reorder_page(request, levels=levels, orders=[], unassigned_ids=unassigned_ids, errors=errors,
                             choices={vid: s.pk for vid, s in choices.items()}, status=400)

    try:
        result = low_stock_reorder(level_ids=level_ids, supplier_choices=choices, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("inventory:alert_list")

    created = {order.pk for order in result.created}
    orders = []
    for order in result.orders:
        skus = sorted({
            level.variant.sku for level in levels
            if (choices[level.variant_id].pk if level.variant_id in choices else level.preferred_supplier_id)
            == order.supplier_id
        })
        orders.append({"order": order, "url": _purchase_order_url(order), "created": order.pk in created, "skus": skus})
    if orders:
        new, extended = len(created), len(orders) - len(created)
        parts = []
        if new:
            parts.append(f"{new} new draft purchase order{'s' if new != 1 else ''}")
        if extended:
            parts.append(f"{extended} existing draft{'s' if extended != 1 else ''} extended")
        messages.success(request, f"Quick reorder: {' and '.join(parts)}. Review and submit them to the suppliers.")
    unassigned_ids = {variant.pk for variant in result.unassigned}
    if unassigned_ids:
        messages.warning(request, f"{len(unassigned_ids)} SKU{'s have' if len(unassigned_ids) != 1 else ' has'} "
                                  "no preferred supplier: choose one below to draft them.")
    return _reorder_page(request, levels=levels, orders=orders, unassigned_ids=unassigned_ids, errors=[], choices={})


# --- min/max reorder rule (on the variant page) ---------------------------

def reorder_rule_context(request, variant: Variant, form=None) -> dict:
    """What the variant page's reorder-rule section needs (nothing without the permission)."""
    if not request.user.has_perm("purchasing.view_reorderrule"):
        return {}
    rule = reorder_rule_of_variant(variant=variant)
    if form is None and request.user.has_perm("purchasing.change_reorderrule"):
        initial = {"active": True}
        if rule is not None:
            initial = {"min_quantity": rule.min_quantity, "max_quantity": rule.max_quantity,
                       "location": rule.location, "active": rule.active}
        form = ReorderRuleForm(initial=initial)
    return {"show_reorder_rule": True, "reorder_rule": rule, "rule_form": form}


def _rule_answer(request, variant: Variant, form=None, *, status: int = 200):
    context = {"variant": variant, **reorder_rule_context(request, variant, form)}
    if request.htmx:
        # The page's "Changes" section is swapped in beside the rule (out of band).
        context.update(variant_changes_context(request, variant), changes_oob=True)
        response = render(request, "inventory/partials/_reorder_rule.html", context, status=status)
    else:
        response = render(request, "purchasing/reorder_rule.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@permission_required("purchasing.change_reorderrule", raise_exception=True)
@require_http_methods(["GET", "POST"])
def reorder_rule_view(request, sku: str):
    variant = get_or_404(variant_get, sku=sku)
    if request.method == "GET":
        return _rule_answer(request, variant)
    form = ReorderRuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            rule = reorder_rule_set(
                variant=variant,
                min_quantity=data["min_quantity"],
                max_quantity=data["max_quantity"],
                location=data["location"],
                active=data["active"],
                user=request.user,
            )
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            where = rule.location.code if rule.location else "the default location"
            state = "" if rule.active else " (inactive)"
            messages.success(request, f"Reorder rule for {variant.sku}: at or below {rule.min_quantity} at {where}, "
                                      f"order up to {rule.max_quantity}{state}.")
            if request.htmx:
                return _rule_answer(request, variant)
            return redirect("inventory:variant_detail", sku=variant.sku)
    # htmx swaps 200 answers only: the form with its errors comes back as one.
    return _rule_answer(request, variant, form, status=200 if request.htmx else 400)


@permission_required("purchasing.delete_reorderrule", raise_exception=True)
@require_POST
def reorder_rule_delete_view(request, sku: str):
    variant = get_or_404(variant_get, sku=sku)
    if reorder_rule_delete(variant=variant, user=request.user):
        messages.success(request, f"Reorder rule for {variant.sku} removed.")
    else:
        messages.info(request, f"{variant.sku} had no reorder rule.")
    if request.htmx:
        return _rule_answer(request, variant)
    return redirect("inventory:variant_detail", sku=variant.sku)
