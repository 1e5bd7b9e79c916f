"""Server-rendered order pages. Each view parses input with a form, reads with a selector or
calls one order service, and picks a full page or, for htmx requests, a fragment."""
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import ApplicationError
from core.forms import form_error_add
from core.htmx import render_page_or_fragment
from core.pagination import page_get
from core.shortcuts import get_or_404
from orders.forms import (
    MAX_LINES,
    LineAvailabilityForm,
    OrderCreateForm,
    OrderFilterForm,
    OrderLineForm,
    OrderLinesEditForm,
    OrderTransitionForm,
    PaymentRecordForm,
    RefundLinesForm,
    ReturnReceiveForm,
    ShipFromForm,
    VariantSearchForm,
    order_line_forms,
    order_line_forms_initial,
)
from orders.models import OrderSource, OrderStatus, SalesOrder
from orders.selectors import (
    line_available,
    location_for_line,
    order_lines_shortfalls,
    sales_order_get,
    sales_order_hold,
    sales_order_lines,
    sales_order_list,
    sales_order_payments,
    sales_order_timeline,
    variant_availability,
    variant_search,
)
from orders.services import (
    TRANSITIONS,
    OrderLineRequest,
    sales_order_allowed_transitions,
    sales_order_create,
    sales_order_payment_record,
    sales_order_refund_lines,
    sales_order_return_receive,
    sales_order_transition,
    sales_order_update,
)
from orders.services.changes import SHIP_FROM_STATUSES
from orders.services.payments import PAYABLE_STATUSES

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
# Recording a payment: Manager and Admin. It is about money, which Staff never see (they
# cannot see the total or what is due), and it moves the order along as a confirmation does.
PAYMENT_PERMS = ("orders.transition_salesorder", "inventory.view_prices")
RETURN_STATUSES = (S.SHIPPED, S.DELIVERED, S.REFUNDED)
REFUND_LINES_STATUSES = (S.CONFIRMED, S.NEEDS_ATTENTION, S.SHIPPED, S.DELIVERED)
UNSHIPPED_STATUSES = (S.CONFIRMED, S.NEEDS_ATTENTION)


def _restockable_lines(order: SalesOrder, lines: list | None = None) -> list:
    lines = list(sales_order_lines(order=order)) if lines is None else lines
    return [line for line in lines if line.restockable_quantity]


def _refund_lines_form_lines(order: SalesOrder, lines: list | None = None) -> list:
    # Shipped units come back through a return: after shipping, the form only clears the flag.
    return _restockable_lines(order, lines) if order.status in UNSHIPPED_STATUSES else []


def _lines_editable(order: SalesOrder) -> bool:
    return order.status == S.PENDING and order.source != OrderSource.CHECKOUT


def _may_edit_lines(user, order: SalesOrder) -> bool:
    return _lines_editable(order) and user.has_perm("orders.add_salesorder")


def _may_change_ship_from(user, order: SalesOrder) -> bool:
    """Before shipping, by whoever may edit the pending order or move the confirmed one along."""
    if order.source == OrderSource.CHECKOUT or order.status not in SHIP_FROM_STATUSES:
        return False
    perm = "orders.add_salesorder" if order.status == S.PENDING else "orders.transition_salesorder"
    return user.has_perm(perm)


def _may_record_payment(user, order: SalesOrder) -> bool:
    return (user.has_perms(PAYMENT_PERMS) and order.source != OrderSource.CHECKOUT
            and order.status in PAYABLE_STATUSES and order.amount_due > 0)


def _location_choices() -> list[tuple[str, str]]:
    """The edit rows' location options, read once for all rows."""
    field = OrderLineForm().fields["location"]
    return [(str(value), label) for value, label in field.choices]


def _payment_form_initial(order: SalesOrder) -> PaymentRecordForm:
    return PaymentRecordForm(initial={"amount": order.amount_due})


def _detail_context(request, order: SalesOrder, *, return_form=None, refund_form=None, edit_form=None,
                    edit_lines=None, ship_from_form=None, payment_form=None) -> dict:
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
    if edit_form is not None and edit_lines is None:
        edit_lines = order_line_forms_initial(lines) or [OrderLineForm()]
    if ship_from_form is None and _may_change_ship_from(user, order):
        ship_from_form = ShipFromForm(initial={"ship_from": order.ship_from_id})
    if payment_form is None and _may_record_payment(user, order):
        payment_form = _payment_form_initial(order)
    return {
        "order": order,
        "lines": lines,
        "may_edit_lines": _may_edit_lines(user, order),
        "edit_form": edit_form,
        "edit_lines": edit_lines,
        "location_choices": _location_choices() if edit_form is not None else [],
        "ship_from_form": ship_from_form,
        "payment_form": payment_form,
        "payments": list(sales_order_payments(order=order)) if user.has_perm("inventory.view_prices") else [],
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
    page = page_get(request, orders, default=ORDER_PAGE_SIZE)
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
        shortfalls = []
        if len(line_forms) > MAX_LINES:
            line_forms = line_forms[:MAX_LINES]
            form.add_error(None, f"An order can have at most {MAX_LINES} lines.")
        filled = [line for line in line_forms if not line.is_blank]
        lines_valid = all([line.is_valid() for line in filled])  # a list: every line gets its errors
        if not filled:
            form.add_error(None, "Add at least one line: a SKU and a quantity.")
        if form.is_valid() and lines_valid:
            data = form.cleaned_data
            requested = [(line.cleaned_data["variant"], line.cleaned_data["quantity"]) for line in filled]
            if not data["create_anyway"]:
                # A pending order holds no stock, so it may be created short; but say so first.
                shortfalls = order_lines_shortfalls(lines=[(variant, None, quantity) for variant, quantity in requested],
                                                    ship_from=data["ship_from"])
            if not shortfalls:
                try:
                    order = sales_order_create(
                        lines=[OrderLineRequest(variant=variant, quantity=quantity) for variant, quantity in requested],
                        customer_name=data["customer_name"],
                        customer_email=data["customer_email"],
                        notes=data["notes"],
                        ship_from=data["ship_from"],
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
        shortfalls = []
    return render(request, "orders/order_create.html",
                  {"form": form, "line_forms": line_forms, "shortfalls": shortfalls})


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
    form.is_valid()  # an invalid quantity or location is dropped; the SKU still answers
    data = form.cleaned_data
    sku = (data.get("sku") or "").strip()
    variant = variant_availability(sku=sku) if sku else None
    where = location_for_line(location=data.get("location"), ship_from=data.get("ship_from")) if variant else None
    context = {
        "sku": sku,
        "variant": variant,
        "where": where,
        "available": line_available(variant=variant, location=where) if variant else 0,
        "quantity": data.get("quantity"),
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


@permission_required("orders.add_salesorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_edit_view(request, number: str):
    """Change a pending order's lines: the order page with its lines open for editing."""
    order = get_or_404(sales_order_get, number=number)
    if request.method == "GET" and request.htmx and "add_line" in request.GET:
        return render(request, "orders/partials/_edit_line_row.html",
                      {"line": OrderLineForm(), "order": order, "location_choices": _location_choices()})
    if not _lines_editable(order):
        messages.error(request, f"Order {order.number} is {order.get_status_display().lower()}: "
                                "only a pending order's lines can be changed.")
        return _order_done(request, order)
    if request.method == "GET":
        return _order_page(request, order, edit_form=OrderLinesEditForm())
    form = OrderLinesEditForm(request.POST)
    line_forms = order_line_forms(request.POST)[:MAX_LINES + 1]
    filled = [line for line in line_forms if not line.is_blank]
    lines_valid = all([line.is_valid() for line in filled])  # a list: every line gets its errors
    if not filled:
        form.add_error(None, "An order needs at least one line: a SKU and a quantity.")
    elif form.is_valid() and lines_valid:
        try:
            order = sales_order_update(
                order=order,
                lines=[
                    OrderLineRequest(variant=line.cleaned_data["variant"], quantity=line.cleaned_data["quantity"],
                                     location=line.cleaned_data["location"])
                    for line in filled
                ],
                user=request.user,
            )
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            messages.success(request, f"Order {order.number} updated.")
            return _order_done(request, order)
    return _order_page(request, order, edit_form=form, edit_lines=line_forms or [OrderLineForm()])


@permission_required("orders.view_salesorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_ship_from_view(request, number: str):
    order = get_or_404(sales_order_get, number=number)
    if request.method == "GET":  # e.g. back here after logging in again: show the order
        return redirect("orders:order_detail", number=order.number)
    if not _may_change_ship_from(request.user, order):
        if order.status in SHIP_FROM_STATUSES and order.source != OrderSource.CHECKOUT:
            raise PermissionDenied("You may not change where this order ships from.")
        messages.error(request, f"Order {order.number} is {order.get_status_display().lower()}: "
                                "its ship-from location can no longer change.")
        return _order_done(request, order)
    form = ShipFromForm(request.POST)
    if form.is_valid():
        try:
            order = sales_order_update(order=order, ship_from=form.cleaned_data["ship_from"], user=request.user)
        except ApplicationError as exc:
            form_error_add(form, exc)
        else:
            where = order.ship_from.code if order.ship_from else "the default location"
            messages.success(request, f"Order {order.number} ships from {where}.")
            return _order_done(request, order)
    return _order_page(request, order, ship_from_form=form)


@permission_required(PAYMENT_PERMS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_payment_view(request, number: str):
    order = get_or_404(sales_order_get, number=number)
    if request.method == "GET":  # e.g. back here after logging in again: show the order
        return redirect("orders:order_detail", number=order.number)
    form = PaymentRecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            sales_order_payment_record(order=order, method=data["method"], amount=data["amount"],
                                       reference=data["reference"], user=request.user)
        except ApplicationError as exc:
            if exc.field:
                form_error_add(form, exc)
            else:
                messages.error(request, exc.message)
                return _order_done(request, order)
        else:
            order.refresh_from_db()
            state = "paid in full" if order.is_paid else f"{order.amount_due} {order.currency} still due"
            messages.success(request, f"Payment recorded for order {order.number}: {state}.")
            return _order_done(request, order)
    return _order_page(request, order, payment_form=form)
