"""Server-rendered inventory pages. Each view parses input, reads with a selector or calls
one stock service, and picks a full page or, for htmx requests, a fragment."""
import csv
import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_http_methods

from core.csv import cell_neutralise
from core.exceptions import ApplicationError, StockMismatch
from core.forms import form_error_add
from core.htmx import fragment_requested, render_page_or_fragment
from core.pagination import page_get, page_size_get
from core.shortcuts import get_or_404
from inventory.forms import MovementFilterForm, StockAdjustForm, StockCountForm, StockFilterForm, StockTransferForm
from inventory.models import MovementType, Variant
from inventory.selectors import (
    location_default,
    location_list,
    movement_list,
    stock_level_list,
    stock_list_rows,
    stock_summary,
    variant_audit_list,
    variant_get,
)
from inventory.services import stock_adjust, stock_count, stock_transfer

HISTORY_PAGE_SIZE = 50
VARIANT_HISTORY_SIZE = 50
VARIANT_CHANGES = 20
DASHBOARD_MOVEMENTS = 10
SORT_COLUMNS = ["sku", "name", "on_hand", "available", "location"]


def _dialog_done(*level_ids: int, levels_added: bool = False) -> HttpResponse:
    """Answer a successful dialog submit: no content, events that close the dialog and refresh stock.

    Each changed level's row refreshes itself (`level-<pk>-changed`); a level that did not
    exist before has no row yet, so `stock-levels-added` asks the list to reload its rows.
    """
    events = {"closeModal": True, "stock-changed": True}
    events.update({f"level-{pk}-changed": True for pk in level_ids})
    if levels_added:
        events["stock-levels-added"] = True
    return HttpResponse(status=204, headers={"HX-Trigger": json.dumps(events)})


def _level_exists(variant: Variant, location) -> bool:
    return stock_level_list(sku=variant.sku).filter(location=location).exists()


def _initial_location(request):
    code = request.GET.get("location")
    location = location_list().filter(code=code).first() if code else None
    if location is None:
        try:
            location = location_default()
        except ApplicationError:
            location = location_list().first()
    return location


def variant_changes_context(request, variant: Variant) -> dict:
    """The variant page's "Changes": its levels' threshold and reorder-quantity changes,
    and its reorder rule's for those who may see the rule."""
    with_rule = request.user.has_perm("purchasing.view_reorderrule")
    changes = list(variant_audit_list(variant=variant, with_rule=with_rule, limit=VARIANT_CHANGES))
    return {"changes": changes, "changes_limit": VARIANT_CHANGES, "show_subject": True}


def _variant_sections_context(request, variant: Variant) -> dict:
    """What the apps above inventory add to the variant page (purchasing: the reorder rule).

    settings.INVENTORY_VARIANT_PAGE_CONTEXT names callables `(request, variant) -> dict`;
    inventory does not import them, the settings wire them in.
    """
    context: dict = {}
    for dotted_path in settings.INVENTORY_VARIANT_PAGE_CONTEXT:
        context.update(import_string(dotted_path)(request, variant))
    return context


# --- pages ----------------------------------------------------------------

@permission_required("inventory.view_stocklevel", raise_exception=True)
@require_GET
def dashboard_view(request):
    summary = stock_summary()
    if not request.user.has_perm("inventory.view_prices"):
        summary.pop("stock_value", None)
    movements = []
    if request.user.has_perm("inventory.view_stockmovement"):
        movements = list(movement_list()[:DASHBOARD_MOVEMENTS])
    return render(request, "inventory/dashboard.html", {"summary": summary, "movements": movements})


@require_GET
def messages_view(request):
    """The messages region of the layout, reloaded after a dialog closes."""
    return render(request, "base.html#messages")


@permission_required("inventory.view_stocklevel", raise_exception=True)
@require_GET
def stock_list_view(request):
    form = StockFilterForm(request.GET)
    form.is_valid()  # invalid parameters are dropped; valid ones still filter
    filters = form.cleaned_data
    sort = filters.get("sort") or "sku"
    category = filters.get("category")
    location = filters.get("location")
    rows = stock_list_rows(
        search=filters.get("q", ""),
        category_id=category.pk if category else None,
        location_code=location.code if location else "",
        status=filters.get("status", ""),
        sort=sort,
    )
    requested = request.GET.get("page", "")
    rows.reach_to((int(requested) if requested.isdigit() and len(requested) < 7 else 1)
                  * page_size_get(request, default=settings.INVENTORY_PAGE_SIZE))
    page = page_get(request, rows, default=settings.INVENTORY_PAGE_SIZE)
    context = {
        "form": form,
        "page_obj": page,
        "sort": sort,
        "sort_next": {col: f"-{col}" if sort == col else col for col in SORT_COLUMNS},
    }
    return render_page_or_fragment(request, "inventory/stock_list.html", "stock-rows", context)


@permission_required("inventory.view_stocklevel", raise_exception=True)
@require_GET
def stock_row_view(request, pk: int):
    level = stock_level_list().filter(pk=pk).first()
    if level is None:
        raise Http404("No such stock level.")
    return render(request, "inventory/partials/_stock_row.html", {"level": level})


@permission_required("inventory.view_stocklevel", raise_exception=True)
@require_GET
def variant_detail_view(request, sku: str):
    variant = get_or_404(variant_get, sku=sku)
    levels = stock_level_list(sku=variant.sku).order_by("location__code")
    movements = []
    if request.user.has_perm("inventory.view_stockmovement"):
        movements = list(movement_list(sku=variant.sku)[:VARIANT_HISTORY_SIZE])
    context = {"variant": variant, "levels": levels, "movements": movements, "history_limit": VARIANT_HISTORY_SIZE}
    context.update(_variant_sections_context(request, variant))
    if not fragment_requested(request):
        context.update(variant_changes_context(request, variant))
    return render_page_or_fragment(request, "inventory/variant_detail.html", "variant-stock", context)


# --- dialogs --------------------------------------------------------------

@permission_required("inventory.adjust_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def stock_adjust_view(request, sku: str):
    variant = get_or_404(variant_get, sku=sku)
    if request.method == "POST":
        form = StockAdjustForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            known = _level_exists(variant, data["location"])
            try:
                change = stock_adjust(
                    variant=variant,
                    location=data["location"],
                    quantity=data["quantity"],
                    type=data["type"],
                    reason=data["reason"],
                    notes=data["notes"],
                    user=request.user,
                    idempotency_key=data["idempotency_key"] or None,
                )
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                movement = change.movement
                if change.replayed:
                    messages.info(request, f"This change to {variant.sku} was already recorded; nothing more was changed.")
                else:
                    messages.success(
                        request,
                        f"{movement.get_type_display()} {movement.delta:+d} for {variant.sku} at "
                        f"{data['location'].name}: {movement.quantity_before} → {movement.quantity_after} on hand.",
                    )
                if request.htmx:
                    return _dialog_done(change.level.pk, levels_added=not known)
                return redirect("inventory:variant_detail", sku=variant.sku)
        location = form.cleaned_data.get("location")
    else:
        location = _initial_location(request)
        form = StockAdjustForm(
            initial={
                "location": location,
                "idempotency_key": uuid.uuid4().hex,
                # Kept when the dialog reloads itself for another location.
                "type": request.GET.get("type") or MovementType.RESTOCK,
                "quantity": request.GET.get("quantity") or None,
                "reason": request.GET.get("reason", ""),
                "notes": request.GET.get("notes", ""),
            }
        )
    level = stock_level_list(sku=variant.sku).filter(location=location).first() if location else None
    template = "inventory/stock_adjust.html#adjust-form" if request.htmx else "inventory/stock_adjust.html"
    context = {"form": form, "variant": variant, "dialog": bool(request.htmx), "location": location, "level": level}
    return render(request, template, context)


@permission_required("inventory.adjust_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def stock_count_view(request, sku: str):
    variant = get_or_404(variant_get, sku=sku)
    current_on_hand = None
    if request.method == "POST":
        form = StockCountForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            known = _level_exists(variant, data["location"])
            try:
                change = stock_count(
                    variant=variant,
                    location=data["location"],
                    counted=data["counted"],
                    reason=data["reason"],
                    notes=data["notes"],
                    user=request.user,
                    idempotency_key=data["idempotency_key"] or None,
                    expected_on_hand=data["expected_on_hand"],
                )
            except StockMismatch as exc:
                if "on_hand" not in exc.details:
                    form_error_add(form, exc)
                else:
                    # Offer the form again, now expecting what the level holds.
                    current_on_hand = exc.details["on_hand"]
                    refreshed = request.POST.copy()
                    refreshed["expected_on_hand"] = str(current_on_hand)
                    form = StockCountForm(refreshed)
                    form.is_valid()
                    form.add_error(
                        None,
                        f"Someone changed this level meanwhile: it now holds {current_on_hand}. "
                        "Check your count and submit again.",
                    )
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                movement = change.movement
                if change.replayed:
                    messages.info(request, f"This count of {variant.sku} was already recorded; nothing more was changed.")
                else:
                    messages.success(
                        request,
                        f"Counted {variant.sku} at {data['location'].name}: {movement.quantity_after} on hand "
                        f"({movement.delta:+d}).",
                    )
                if request.htmx:
                    return _dialog_done(change.level.pk, levels_added=not known)
                return redirect("inventory:variant_detail", sku=variant.sku)
        elif "expected_on_hand" in form.cleaned_data:
            current_on_hand = form.cleaned_data["expected_on_hand"]
    else:
        location = _initial_location(request)
        level = stock_level_list(sku=variant.sku).filter(location=location).first() if location else None
        current_on_hand = level.on_hand if level else 0
        form = StockCountForm(
            initial={
                "location": location,
                "expected_on_hand": current_on_hand,
                "idempotency_key": uuid.uuid4().hex,
                # Kept when the dialog reloads itself for another location.
                "counted": request.GET.get("counted") or None,
                "reason": request.GET.get("reason", ""),
                "notes": request.GET.get("notes", ""),
            }
        )
    template = "inventory/stock_count.html#count-form" if request.htmx else "inventory/stock_count.html"
    context = {"form": form, "variant": variant, "dialog": bool(request.htmx), "current_on_hand": current_on_hand}
    return render(request, template, context)


@permission_required("inventory.transfer_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def stock_transfer_view(request, sku: str):
    variant = get_or_404(variant_get, sku=sku)
    if request.method == "POST":
        form = StockTransferForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            known = _level_exists(variant, data["to_location"])
            try:
                transfer = stock_transfer(
                    variant=variant,
                    from_location=data["from_location"],
                    to_location=data["to_location"],
                    quantity=data["quantity"],
                    reason=data["reason"],
                    notes=data["notes"],
                    user=request.user,
                    idempotency_key=data["idempotency_key"] or None,
                )
            except ApplicationError as exc:
                form_error_add(form, exc, field_map={"location": "from_location"})
            else:
                if transfer.replayed:
                    messages.info(request, f"This transfer of {variant.sku} was already recorded; nothing more was changed.")
                else:
                    messages.success(
                        request,
                        f"Moved {data['quantity']} × {variant.sku} from {data['from_location'].name} "
                        f"to {data['to_location'].name}.",
                    )
                if request.htmx:
                    return _dialog_done(transfer.from_level.pk, transfer.to_level.pk, levels_added=not known)
                return redirect("inventory:variant_detail", sku=variant.sku)
    else:
        source = _initial_location(request)
        target = location_list().exclude(pk=source.pk).first() if source else None
        form = StockTransferForm(
            initial={"from_location": source, "to_location": target, "idempotency_key": uuid.uuid4().hex}
        )
    template = "inventory/stock_transfer.html#transfer-form" if request.htmx else "inventory/stock_transfer.html"
    return render(request, template, {"form": form, "variant": variant, "dialog": bool(request.htmx)})


# --- history --------------------------------------------------------------

def _filtered_movements(request):
    form = MovementFilterForm(request.GET)
    form.is_valid()  # invalid parameters are dropped; valid ones still filter
    filters = form.cleaned_data
    location, user = filters.get("location"), filters.get("user")
    movements = movement_list(
        sku=(filters.get("sku") or "").strip(),
        type=filters.get("type", ""),
        location_code=location.code if location else "",
        user_id=user.pk if user else None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    return form, movements


@permission_required("inventory.view_stockmovement", raise_exception=True)
@require_GET
def movement_list_view(request):
    form, movements = _filtered_movements(request)
    page = page_get(request, movements, default=HISTORY_PAGE_SIZE)
    context = {"form": form, "page_obj": page}
    return render_page_or_fragment(request, "inventory/movement_list.html", "movement-rows", context)


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


EXPORT_HEADER = [
    "time", "sku", "product", "location", "type", "delta", "quantity_before", "quantity_after",
    "reason", "notes", "user", "reference",
]


def _export_rows(movements):
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_HEADER)
    for m in movements.iterator(chunk_size=2000):
        row = [
            m.created_at.isoformat(),
            m.variant.sku,
            m.variant.product.name,
            m.location.code,
            m.type,
            m.delta,
            m.quantity_before,
            m.quantity_after,
            m.reason,
            m.notes,
            m.user.get_username() if m.user else "",
            m.reference,
        ]
        yield writer.writerow([cell_neutralise(value) for value in row])


@permission_required("inventory.view_stockmovement", raise_exception=True)
@require_GET
def movement_export_view(request):
    _form, movements = _filtered_movements(request)
    filename = f"stock-movements-{timezone.localdate():%Y-%m-%d}.csv"
    return StreamingHttpResponse(
        _export_rows(movements),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
