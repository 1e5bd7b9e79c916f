"""Server-rendered order pages. Each view parses input with a form, reads with a selector or
calls one order service, and picks a full page or, for htmx requests, a fragment."""
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import ApplicationError
from core.forms import form_error_add
from core.htmx import render_page_or_fragment
from core.shortcuts import get_or_404
from orders.forms import (
    MAX_LINES,
    LineAvailabilityForm,
    OrderCreateForm,
    OrderFilterForm,
    OrderLineForm,
    OrderTransitionForm,
    RefundLinesForm,
    ReturnReceiveForm,
    VariantSearchForm,
    order_line_forms,
)
from orders.models import OrderSource, OrderStatus, SalesOrder
from orders.selectors import (
    sales_order_get,
    sales_order_hold,
    sales_order_lines,
    sales_order_list,
    sales_order_timeline,
    variant_availability,
    variant_search,
)
from orders.services import (
    TRANSITIONS,
    OrderLineRequest,
    sales_order_allowed_transitions,
    sales_order_create,
    sales_order_refund_lines,
    sales_order_return_receive,
    sales_order_transition,
)

ORDER_PAGE_SIZE = 50
S = OrderStatus

# The button for each status an order can move to.
ACTION_LABELS = {
    S.CONFIRMED: "Confirm",
    S.SHIPPED: "Mark shipped",
    S.DELIVERED: "Mark delivered",
    S.CANCELLED: "Cancel order",
    S.REFUNDED: "Refund",
}
# Actions that undo work ask "are you sure?" first.
ACTION_CONFIRMS = {
    S.CANCELLED: "Cancel this order? Reserved stock is released.",
    S.REFUNDED: "Refund this order? Held stock is released and unshipped units are restocked.",
}
RETURN_STATUSES = (S.SHIPPED, S.DELIVERED, S.REFUNDED)
REFUND_LINES_STATUSES = (S.CONFIRMED, S.NEEDS_ATTENTION, S.SHIPPED, S.DELIVERED)
UNSHIPPED_STATUSES = (S.CONFIRMED, S.NEEDS_ATTENTION)


def _restockable_lines(order: SalesOrder, lines: list | None = None) -> list:
    lines = list(sales_order_lines(order=order)) if lines is None else lines
    return [line for line in lines if line.restockable_quantity]


def _refund_lines_form_lines(order: SalesOrder, lines: list | None = None) -> list:
    # Shipped units come back through a return: after shipping, the form only clears the flag.
    return _restockable_lines(order, lines) if order.status in UNSHIPPED_STATUSES else []


def _detail_context(request, order: SalesOrder, *, return_form=None, refund_form=None) -> dict:
    user = request.user
    lines = list(sales_order_lines(order=order))
    can_refund = user.has_perm("orders.refund_salesorder")
    actions = []
    if user.has_perm("orders.transition_salesorder"):
        actions = [
            {"to": to, "label": ACTION_LABELS[to], "confirm": ACTION_CONFIRMS.get(to, "")}
            for to in sales_order_allowed_transitions(order)
            if to != S.REFUNDED or can_refund
        ]
    if can_refund and return_form is None and order.status in RETURN_STATUSES:
        restockable = _restockable_lines(order, lines)
        return_form = ReturnReceiveForm(lines=restockable) if restockable else None
    partially_refunded = bool(order.attention) and order.amount_refunded > 0
    if can_refund and refund_form is None and order.status in REFUND_LINES_STATUSES and partially_refunded:
        refund_form = RefundLinesForm(lines=_refund_lines_form_lines(order, lines))
    return {
        "order": order,
        "lines": lines,
        "hold": sales_order_hold(order=order),
        "timeline": sales_order_timeline(
            order=order,
            movements=user.has_perm("inventory.view_stockmovement"),
            stripe_events=user.has_perm("orders.view_stripeevent"),
        ),
        "actions": actions,
        "closed": not TRANSITIONS[order.status],
        "return_form": return_form if can_refund else None,
        "refund_form": refund_form if can_refund else None,
    }


def _order_page(request, order: SalesOrder, **forms):
    """The order page, or for htmx its body fragment (with the messages of this request)."""
    template = "orders/order_detail.html#order-body" if request.htmx else "orders/order_detail.html"
    response = render(request, template, _detail_context(request, order, **forms))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _order_done(request, order: SalesOrder):
    """After a change (or a refusal, told as a message): the fresh fragment, or a redirect."""
    if request.htmx:
        order.refresh_from_db()
        return _order_page(request, order)
    return redirect("orders:order_detail", number=order.number)


# --- pages ----------------------------------------------------------------

@permission_required("orders.view_salesorder", raise_exception=True)
@require_GET
def order_list_view(request):
    form = OrderFilterForm(request.GET)
    form.is_valid()  # invalid parameters are dropped; valid ones still filter
    filters = form.cleaned_data
    orders = sales_order_list(status=filters.get("status") or None, q=filters.get("q", ""))
    page = Paginator(orders, ORDER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page}
    return render_page_or_fragment(request, "orders/order_list.html", "order-rows", context)


@permission_required("orders.view_salesorder", raise_exception=True)
@require_GET
def order_detail_view(request, number: str):
    return _order_page(request, get_or_404(sales_order_get, number=number))


@permission_required("orders.add_salesorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_create_view(request):
    if request.method == "GET" and request.htmx and "add_line" in request.GET:
        # The "Add line" button: one more blank row for the form.
        return render(request, "orders/order_create.html#line-row", {"line": OrderLineForm()})

    if request.method == "POST":
        form = OrderCreateForm(request.POST)
        line_forms = order_line_forms(request.POST)
        if len(line_forms) > MAX_LINES:
            line_forms = line_forms[:MAX_LINES]
            form.add_error(None, f"An order can have at most {MAX_LINES} lines.")
        filled = [line for line in line_forms if not line.is_blank]
        lines_valid = all([line.is_valid() for line in filled])  # a list: every line gets its errors
        if not filled:
            form.add_error(None, "Add at least one line: a SKU and a quantity.")
        if form.is_valid() and lines_valid:
            data = form.cleaned_data
            try:
                order = sales_order_create(
                    lines=[
                        OrderLineRequest(variant=line.cleaned_data["variant"], quantity=line.cleaned_data["quantity"])
                        for line in filled
                    ],
                    customer_name=data["customer_name"],
                    customer_email=data["customer_email"],
                    notes=data["notes"],
                    source=OrderSource.MANUAL,
                    user=request.user,
                )
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, f"Order {order.number} created: confirm it to reserve the stock.")
                return redirect("orders:order_detail", number=order.number)
        line_forms = line_forms or [OrderLineForm()]
    else:
        form = OrderCreateForm()
        line_forms = [OrderLineForm()]
    return render(request, "orders/order_create.html", {"form": form, "line_forms": line_forms})


# --- fragments for the order form -----------------------------------------

@permission_required("orders.add_salesorder", raise_exception=True)
@require_GET
def variant_search_view(request):
    term = VariantSearchForm(request.GET).term
    variants = list(variant_search(q=term)) if term else []
    return render(request, "orders/partials/_variant_results.html", {"variants": variants, "term": term})


@permission_required("orders.add_salesorder", raise_exception=True)
@require_GET
def line_availability_view(request):
    form = LineAvailabilityForm(request.GET)
    form.is_valid()  # an invalid quantity is dropped; the SKU still answers
    sku = (form.cleaned_data.get("sku") or "").strip()
    context = {
        "sku": sku,
        "variant": variant_availability(sku=sku) if sku else None,
        "quantity": form.cleaned_data.get("quantity"),
    }
    return render(request, "orders/partials/_line_availability.html", context)


# --- actions --------------------------------------------------------------

@permission_required("orders.transition_salesorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_transition_view(request, number: str):
    order = get_or_404(sales_order_get, number=number)
    if request.method == "GET":  # e.g. back here after logging in again: show the order
        return redirect("orders:order_detail", number=order.number)
    form = OrderTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the actions offered for this order.")
        return _order_done(request, order)
    to = form.cleaned_data["to"]
    if to == S.REFUNDED and not request.user.has_perm("orders.refund_salesorder"):
        raise PermissionDenied("Refunding an order needs the refund permission.")
    try:
        order = sales_order_transition(order=order, to=to, user=request.user, note=form.cleaned_data["note"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Order {order.number} is now {order.get_status_display().lower()}.")
    return _order_done(request, order)


@permission_required("orders.refund_salesorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_return_view(request, number: str):
    order = get_or_404(sales_order_get, number=number)
    if request.method == "GET":  # e.g. back here after logging in again: show the order
        return redirect("orders:order_detail", number=order.number)
    form = ReturnReceiveForm(request.POST, lines=_restockable_lines(order))
    if form.is_valid():
        try:
            order = sales_order_return_receive(order=order, quantities=form.quantities(), user=request.user,
                                               note=form.cleaned_data["note"])
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            messages.success(request, f"Return received for order {order.number}: units are back on the shelf.")
            return _order_done(request, order)
    return _order_page(request, order, return_form=form)


@permission_required("orders.refund_salesorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_refund_lines_view(request, number: str):
    order = get_or_404(sales_order_get, number=number)
    if request.method == "GET":  # e.g. back here after logging in again: show the order
        return redirect("orders:order_detail", number=order.number)
    form = RefundLinesForm(request.POST, lines=_refund_lines_form_lines(order))
    if form.is_valid():
        try:
            order = sales_order_refund_lines(order=order, quantities=form.quantities(), user=request.user,
                                             note=form.cleaned_data["note"])
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            messages.success(request, f"Partial refund of order {order.number} handled.")
            return _order_done(request, order)
    return _order_page(request, order, refund_form=form)
