"""Server-rendered purchase order pages. Each view parses input with a form, reads with a
selector or calls one purchasing service, and picks a full page or, for htmx requests, a
fragment."""
import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import ApplicationError
from core.forms import form_error_add
from core.htmx import render_page_or_fragment
from core.pagination import page_get
from core.shortcuts import get_or_404
from inventory.selectors import location_default
from purchasing.forms import (
    MAX_LINES,
    PurchaseLineForm,
    PurchaseOrderFilterForm,
    PurchaseOrderForm,
    PurchaseOrderTransitionForm,
    ReceiveForm,
    VariantSearchForm,
    purchase_line_forms,
    purchase_line_forms_initial,
)
from purchasing.models import PurchaseOrder, PurchaseOrderStatus
from purchasing.selectors import (
    purchase_order_events,
    purchase_order_get,
    purchase_order_lines,
    purchase_order_list,
    purchase_order_receipts,
    purchase_variant_search,
)
from purchasing.services import (
    TRANSITIONS,
    OverReceipt,
    PurchaseLineRequest,
    ReceiptLineRequest,
    purchase_order_allowed_transitions,
    purchase_order_create,
    purchase_order_delete,
    purchase_order_receive,
    purchase_order_transition,
    purchase_order_update,
)
from purchasing.services.orders import RECEIVABLE

ORDER_PAGE_SIZE = 50
S = PurchaseOrderStatus

# The button for each status an order can be moved to by hand.
ACTION_LABELS = {
    S.PENDING: "Submit to supplier",
    S.CONFIRMED: "Mark confirmed",
    S.SHIPPED: "Mark shipped",
    S.CANCELLED: "Cancel order",
}
CANCEL_CONFIRM = "Cancel purchase order {number}? Goods still outstanding will no longer be expected."
# Raised on <body> after a receipt: the order page reloads its body.
CHANGED_EVENT = "purchase-order-changed"


def _label(status: str) -> str:
    return S(status).label if status in S.values else status


def _status_label(order: PurchaseOrder) -> str:
    return order.get_status_display().lower()


# --- list -----------------------------------------------------------------

@permission_required("purchasing.view_purchaseorder", raise_exception=True)
@require_GET
def order_list_view(request):
    form = PurchaseOrderFilterForm(request.GET)
    form.is_valid()  # invalid parameters are dropped; valid ones still filter
    filters = form.cleaned_data
    supplier = filters.get("supplier")
    orders = purchase_order_list(status=filters.get("status") or None, supplier_id=supplier.pk if supplier else None,
                                 q=filters.get("q", ""))
    page = page_get(request, orders, default=ORDER_PAGE_SIZE)
    context = {"form": form, "page_obj": page}
    return render_page_or_fragment(request, "purchasing/order_list.html", "order-rows", context)


# --- detail ---------------------------------------------------------------

def _detail_context(request, order: PurchaseOrder) -> dict:
    user = request.user
    actions = []
    if user.has_perm("purchasing.transition_purchaseorder"):
        actions = [
            {"to": to, "label": ACTION_LABELS[to],
             "confirm": CANCEL_CONFIRM.format(number=order.number) if to == S.CANCELLED else ""}
            for to in purchase_order_allowed_transitions(order)
        ]
    events = list(purchase_order_events(order=order))
    for event in events:
        event.from_label = _label(event.from_status)
        event.to_label = _label(event.to_status)
    is_draft = order.status == S.DRAFT
    return {
        "order": order,
        "lines": list(purchase_order_lines(order=order)),
        "receipts": list(purchase_order_receipts(order=order)),
        "events": events,
        "actions": actions,
        "can_receive": order.status in RECEIVABLE and user.has_perm("purchasing.receive_purchaseorder"),
        "can_edit": is_draft and user.has_perm("purchasing.change_purchaseorder"),
        "can_delete": is_draft and user.has_perm("purchasing.delete_purchaseorder"),
        "closed": not TRANSITIONS[order.status],
    }


def _order_page(request, order: PurchaseOrder):
    """The order page, or for htmx its body fragment (with the messages of this request)."""
    return render_page_or_fragment(request, "purchasing/order_detail.html", "order-body", _detail_context(request, order))


def _order_done(request, order: PurchaseOrder):
    """After a change (or a refusal, told as a message): the fresh fragment, or a redirect."""
    if request.htmx:
        return _order_page(request, get_or_404(purchase_order_get, pk=order.pk))
    return redirect("purchasing:order_detail", po_id=order.pk)


@permission_required("purchasing.view_purchaseorder", raise_exception=True)
@require_GET
def order_detail_view(request, po_id: int):
    return _order_page(request, get_or_404(purchase_order_get, pk=po_id))


@permission_required("purchasing.view_purchaseorder", raise_exception=True)
@require_GET
def order_print_view(request, po_id: int):
    order = get_or_404(purchase_order_get, pk=po_id)
    try:
        ship_to = location_default()
    except ApplicationError:
        ship_to = None
    context = {"order": order, "lines": list(purchase_order_lines(order=order)), "ship_to": ship_to}
    return render(request, "purchasing/order_print.html", context)


# --- create and edit ------------------------------------------------------

def _line_requests(request, line_forms: list[PurchaseLineForm]) -> list[PurchaseLineRequest]:
    # Without the right to see costs the cost column is not shown: the supplier's cost applies.
    with_costs = request.user.has_perm("inventory.view_prices")
    return [
        PurchaseLineRequest(
            variant=line.cleaned_data["variant"],
            quantity=line.cleaned_data["quantity"],
            unit_cost=line.cleaned_data.get("unit_cost") if with_costs else None,
        )
        for line in line_forms
    ]


def _lines_checked(form: PurchaseOrderForm, line_forms: list[PurchaseLineForm]) -> list[PurchaseLineForm] | None:
    """The filled rows when every one is valid, else None (each row keeps its errors)."""
    if len(line_forms) > MAX_LINES:
        form.add_error(None, f"A purchase order can have at most {MAX_LINES} lines.")
        return None
    filled = [line for line in line_forms if not line.is_blank]
    valid = all([line.is_valid() for line in filled])  # a list: every row gets its errors
    if not filled:
        form.add_error(None, "Add at least one line: a SKU and a quantity.")
        return None
    return filled if valid else None


def _unbound_rows(request) -> list[PurchaseLineForm]:
    """The "Add line" button without JavaScript: the form as typed, one more blank row, no errors."""
    rows = [PurchaseLineForm(initial=line.data, number=line.number) for line in purchase_line_forms(request.POST)]
    rows = rows[:MAX_LINES - 1] + [PurchaseLineForm(number=len(rows[:MAX_LINES - 1]) + 1)]
    return rows


def _form_page(request, form, line_forms, *, order: PurchaseOrder | None = None):
    row_errors = [error for line in line_forms if line.is_bound for error in line.row_errors()]
    context = {"form": form, "line_forms": line_forms or [PurchaseLineForm()], "order": order,
               "row_errors": row_errors}
    return render(request, "purchasing/order_form.html", context)


def _wants_submit(request) -> bool:
    if "submit" not in request.POST:
        return False
    if not request.user.has_perm("purchasing.transition_purchaseorder"):
        raise PermissionDenied("Submitting a purchase order needs the right to change its status.")
    return True


@permission_required("purchasing.add_purchaseorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_create_view(request):
    if request.method == "GET":
        initial = {"supplier": request.GET.get("supplier")} if request.GET.get("supplier", "").isdigit() else {}
        return _form_page(request, PurchaseOrderForm(initial=initial), [PurchaseLineForm()])

    if "add_line" in request.POST:
        return _form_page(request, PurchaseOrderForm(initial=request.POST.dict()), _unbound_rows(request))
    form = PurchaseOrderForm(request.POST)
    line_forms = purchase_line_forms(request.POST)
    submit = _wants_submit(request)
    filled = _lines_checked(form, line_forms)
    if form.is_valid() and filled is not None:
        data = form.cleaned_data
        try:
            order = purchase_order_create(
                supplier=data["supplier"],
                lines=_line_requests(request, filled),
                expected_date=data["expected_date"],
                tax=data["tax"],
                shipping=data["shipping"],
                notes=data["notes"],
                user=request.user,
                submit=submit,
            )
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            if submit:
                messages.success(request, f"Purchase order {order.number} created and submitted to {order.supplier}.")
            else:
                messages.success(request, f"Purchase order {order.number} saved as a draft.")
            return redirect("purchasing:order_detail", po_id=order.pk)
    return _form_page(request, form, line_forms)


@permission_required("purchasing.change_purchaseorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_edit_view(request, po_id: int):
    order = get_or_404(purchase_order_get, pk=po_id)
    if order.status != S.DRAFT:
        messages.error(request, f"Purchase order {order.number} is {_status_label(order)}: only drafts can be edited.")
        return redirect("purchasing:order_detail", po_id=order.pk)

    if request.method == "GET":
        form = PurchaseOrderForm(
            initial={"supplier": order.supplier_id, "expected_date": order.expected_date, "tax": order.tax,
                     "shipping": order.shipping, "notes": order.notes},
            include_supplier_id=order.supplier_id,
        )
        return _form_page(request, form, purchase_line_forms_initial(list(purchase_order_lines(order=order))),
                          order=order)

    if "add_line" in request.POST:
        form = PurchaseOrderForm(initial=request.POST.dict(), include_supplier_id=order.supplier_id)
        return _form_page(request, form, _unbound_rows(request), order=order)
    form = PurchaseOrderForm(request.POST, include_supplier_id=order.supplier_id)
    line_forms = purchase_line_forms(request.POST)
    submit = _wants_submit(request)
    filled = _lines_checked(form, line_forms)
    if form.is_valid() and filled is not None:
        data = form.cleaned_data
        try:
            order = purchase_order_update(
                order=order,
                user=request.user,
                supplier=data["supplier"],
                lines=_line_requests(request, filled),
                expected_date=data["expected_date"],
                tax=data["tax"],
                shipping=data["shipping"],
                notes=data["notes"],
            )
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            if not submit:
                messages.success(request, f"Purchase order {order.number} saved.")
                return redirect("purchasing:order_detail", po_id=order.pk)
            try:
                order = purchase_order_transition(order=order, to=S.PENDING, user=request.user)
            except ApplicationError as exc:
                messages.error(request, f"Purchase order {order.number} saved, but not submitted: {exc.message}")
            else:
                messages.success(request, f"Purchase order {order.number} saved and submitted to {order.supplier}.")
            return redirect("purchasing:order_detail", po_id=order.pk)
    return _form_page(request, form, line_forms, order=order)


# --- fragments for the order form -----------------------------------------

@permission_required("purchasing.add_purchaseorder", raise_exception=True)
@require_GET
def variant_search_view(request):
    """SKU suggestions for a line; with a supplier, its items first with their supplier SKU and cost."""
    term, supplier_id = VariantSearchForm(request.GET).parsed()
    variants = purchase_variant_search(q=term, supplier_id=supplier_id) if term else []
    return render(request, "purchasing/partials/_variant_results.html",
                  {"variants": variants, "term": term, "supplier_id": supplier_id})


@permission_required("purchasing.add_purchaseorder", raise_exception=True)
@require_GET
def line_row_view(request):
    """One blank row for the order form (the "Add line" button)."""
    return render(request, "purchasing/partials/_line_row.html", {"line": PurchaseLineForm()})


# --- actions --------------------------------------------------------------

@permission_required("purchasing.transition_purchaseorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_transition_view(request, po_id: int):
    order = get_or_404(purchase_order_get, pk=po_id)
    if request.method == "GET":  # e.g. back here after logging in again: show the order
        return redirect("purchasing:order_detail", po_id=order.pk)
    form = PurchaseOrderTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the actions offered for this purchase order.")
        return _order_done(request, order)
    try:
        order = purchase_order_transition(order=order, to=form.cleaned_data["to"], user=request.user,
                                          note=form.cleaned_data["note"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Purchase order {order.number} is now {_status_label(order)}.")
    return _order_done(request, order)


@permission_required("purchasing.delete_purchaseorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_delete_view(request, po_id: int):
    order = get_or_404(purchase_order_get, pk=po_id)
    if request.method == "GET":
        return redirect("purchasing:order_detail", po_id=order.pk)
    try:
        purchase_order_delete(order=order, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _order_done(request, order)
    messages.success(request, f"Draft {order.number} deleted.")
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Redirect": reverse("purchasing:order_list")})
    return redirect("purchasing:order_list")


@permission_required("purchasing.receive_purchaseorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_receive_view(request, po_id: int):
    """The receive dialog (a page without JavaScript). One submit is one receipt; its hidden
    key makes a double-submitted or retried form count once."""
    order = get_or_404(purchase_order_get, pk=po_id)
    lines = list(purchase_order_lines(order=order))
    over_lines: set[int] = set()
    if request.method == "POST":
        form = ReceiveForm(request.POST, lines=lines)
        if form.is_valid():
            data = form.cleaned_data
            wanted = form.receipt_lines()
            try:
                result = purchase_order_receive(
                    order=order,
                    lines=[ReceiptLineRequest(line_id=line_id, quantity=quantity, location=location)
                           for line_id, quantity, location in wanted],
                    idempotency_key=data["idempotency_key"],
                    user=request.user,
                    allow_over_receipt=data["accept_over_receipt"],
                    over_receipt_reason=data["over_receipt_reason"] if data["accept_over_receipt"] else "",
                    notes=data["notes"],
                )
            except OverReceipt as exc:
                form.add_error(None, exc.message)
                over_lines = {entry["line"] for entry in exc.details.get("lines", [])}
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                order = result.order
                if result.replayed:
                    messages.info(request, f"This receipt for {order.number} was already received; "
                                           "nothing more was changed.")
                else:
                    units = sum(quantity for _, quantity, _ in wanted)
                    messages.success(request, f"Received {units} unit{'s' if units != 1 else ''} against "
                                              f"{order.number}: it is now {_status_label(order)}.")
                if request.htmx:
                    return HttpResponse(status=204,
                                        headers={"HX-Trigger": json.dumps({"closeModal": True, CHANGED_EVENT: True})})
                return redirect("purchasing:order_detail", po_id=order.pk)
    else:
        form = ReceiveForm(lines=lines, initial={"idempotency_key": uuid.uuid4().hex})
    context = {
        "order": order,
        "form": form,
        "receivable": order.status in RECEIVABLE or request.method == "POST",
        "over_lines": over_lines,
        "dialog": bool(request.htmx),
    }
    template = "purchasing/order_receive.html#receive-form" if request.htmx else "purchasing/order_receive.html"
    return render(request, template, context)
