"""JSON API v1 for purchase orders: list, create, read, edit while DRAFT, delete a DRAFT,
move along the status machine, receive goods.

Serializers check shape and bounds; purchasing.services decides everything else, and its
domain errors become 4xx bodies in api.exceptions.api_exception_handler. Money fields
(subtotal, tax, shipping, total, unit_cost, line_total) are left out for users without
inventory.view_prices.
"""
from decimal import Decimal

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from api.fields import DecimalTextField, JsonBooleanField, StringField, WholeNumberField
from api.exceptions import UNKNOWN
from api.lines import line_variants
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.permissions import PRICES_PERM, HasDjangoPermission, ReadWritePermission
from api.serializers import ErrorSerializer, IllegalTransitionSerializer, StatusChoiceField
from inventory.models import Location
from inventory.selectors import location_list
from purchasing.models import PurchaseOrder, PurchaseOrderStatus
from purchasing.selectors import (
    purchase_order_get,
    purchase_order_list,
    purchase_order_receipts,
    purchase_order_with_details,
)
from purchasing.services import (
    PurchaseLineRequest,
    ReceiptLineRequest,
    purchase_order_allowed_transitions,
    purchase_order_create,
    purchase_order_delete,
    purchase_order_receive,
    purchase_order_transition,
    purchase_order_update,
)
from purchasing.services.orders import MAX_LINES, MAX_QUANTITY
from suppliers.models import Supplier


MONEY_FIELDS = ("subtotal", "tax", "shipping", "total")
LINE_MONEY_FIELDS = ("unit_cost", "line_total")


# --- permissions ----------------------------------------------------------------

class CanListOrCreatePurchaseOrders(ReadWritePermission):
    read_perm = "purchasing.view_purchaseorder"
    write_perm = "purchasing.add_purchaseorder"
    read_message = "You do not have permission to view purchase orders."
    write_message = "You do not have permission to create purchase orders."


class CanViewEditOrDeletePurchaseOrders(BasePermission):
    """GET needs view_, PATCH and PUT change_, DELETE delete_purchaseorder."""

    PERMS = {
        "GET": ("purchasing.view_purchaseorder", "You do not have permission to view purchase orders."),
        "HEAD": ("purchasing.view_purchaseorder", "You do not have permission to view purchase orders."),
        "OPTIONS": ("purchasing.view_purchaseorder", "You do not have permission to view purchase orders."),
        "PATCH": ("purchasing.change_purchaseorder", "You do not have permission to change purchase orders."),
        "PUT": ("purchasing.change_purchaseorder", "You do not have permission to change purchase orders."),
        "DELETE": ("purchasing.delete_purchaseorder", "You do not have permission to delete purchase orders."),
    }
    message = "You do not have permission to do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        perm, self.message = self.PERMS.get(request.method, ("", "You do not have permission to do this."))
        return bool(perm) and user.has_perm(perm)


class CanTransitionPurchaseOrders(HasDjangoPermission):
    required_perm = "purchasing.transition_purchaseorder"
    message = "You do not have permission to submit, confirm, ship or cancel purchase orders."


class CanReceivePurchaseOrders(HasDjangoPermission):
    required_perm = "purchasing.receive_purchaseorder"
    message = "You do not have permission to receive goods against purchase orders."


# --- output serializers ---------------------------------------------------------

def _money_field(help_text: str = "", max_digits: int = 14) -> DecimalTextField:
    return DecimalTextField(
        max_digits=max_digits, decimal_places=2, required=False,
        help_text=(help_text + " " if help_text else "") + "Only for users who may see prices (inventory.view_prices).",
    )


class PurchaseOrderSupplierSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StringField()


class PurchaseOrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = StringField(source="variant.sku")
    product = StringField(source="variant.product.name")
    supplier_sku = StringField()
    quantity_ordered = serializers.IntegerField()
    quantity_received = serializers.IntegerField()
    quantity_outstanding = serializers.IntegerField(help_text="Ordered minus received, never below zero.")
    unit_cost = _money_field(max_digits=12)
    line_total = _money_field("Unit cost times quantity ordered.")


class PurchaseOrderSerializer(serializers.Serializer):
    """A purchase order with its lines. Money fields only when the context says `show_prices`."""

    id = serializers.IntegerField()
    number = StringField(help_text="PO-000001 upward.")
    supplier = PurchaseOrderSupplierSerializer()
    status = StringField(
        help_text="DRAFT, PENDING, CONFIRMED, SHIPPED, PARTIALLY_RECEIVED, RECEIVED or CANCELLED.")
    allowed_transitions = serializers.SerializerMethodField(help_text="Statuses the order may be moved to by hand.")
    currency = StringField()
    order_date = serializers.DateField(allow_null=True)
    expected_date = serializers.DateField(allow_null=True)
    received_date = serializers.DateField(allow_null=True, help_text="The day the last outstanding unit arrived.")
    notes = StringField()
    subtotal = _money_field()
    tax = _money_field()
    shipping = _money_field()
    total = _money_field("Subtotal plus tax and shipping.")
    created_by = StringField(source="created_by.username", allow_null=True,
                                       help_text="Username, or null when drafted by a reorder rule.")
    created_at = serializers.DateTimeField()
    lines = PurchaseOrderLineSerializer(many=True)

    @extend_schema_field(serializers.ListField(child=StringField()))
    def get_allowed_transitions(self, order) -> list[str]:
        return purchase_order_allowed_transitions(order)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_prices", False):
            for name in MONEY_FIELDS:
                data.pop(name, None)
            for line in data["lines"]:
                for name in LINE_MONEY_FIELDS:
                    line.pop(name, None)
        return data


class PurchaseOrderPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PurchaseOrderSerializer(many=True)


class PurchaseReceiptLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line_id", help_text="The purchase order line's id.")
    sku = StringField(source="line.variant.sku")
    quantity = serializers.IntegerField()
    location = StringField(source="location.code")
    movement = serializers.IntegerField(source="movement_id", help_text="The RESTOCK movement written for it.")


class PurchaseReceiptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    idempotency_key = StringField()
    over_receipt_reason = StringField(help_text="Why more than ordered was accepted; empty otherwise.")
    notes = StringField()
    created_at = serializers.DateTimeField()
    lines = PurchaseReceiptLineSerializer(many=True)


class PurchaseReceiveResultSerializer(serializers.Serializer):
    receipt = PurchaseReceiptSerializer()
    order = PurchaseOrderSerializer()


class OverReceiptLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    sku = StringField()
    ordered = serializers.IntegerField()
    received = serializers.IntegerField(help_text="Received before this receipt.")
    receiving = serializers.IntegerField(help_text="What this receipt would add.")
    outstanding = serializers.IntegerField()


class OverReceiptSerializer(serializers.Serializer):
    """409: more than ordered, without `accept_over_receipt`; nothing was received."""

    detail = StringField()
    lines = OverReceiptLineSerializer(many=True, required=False)


# --- input serializers ----------------------------------------------------------

def _location_by_code(code: str | None) -> Location | None:
    if not code:
        return None
    location = location_list(active_only=False).filter(code=code).first()
    if location is None:
        raise serializers.ValidationError(f"Unknown location {code!r}.", code=UNKNOWN)
    return location


def _supplier_by_id(value: int) -> Supplier:
    supplier = Supplier.objects.filter(pk=value).first()
    if supplier is None:
        raise serializers.ValidationError(f"Unknown supplier {value}.", code=UNKNOWN)
    return supplier


class PurchaseOrderListQuerySerializer(serializers.Serializer):
    status = StatusChoiceField(choices=PurchaseOrderStatus.choices, required=False, allow_blank=True)
    supplier = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                        help_text="Supplier id.")
    q = StringField(required=False, allow_blank=True, max_length=200,
                              help_text="Order number, supplier name or a line's SKU.")


class PurchaseOrderLineRequestSerializer(serializers.Serializer):
    """One line. Lines are replaced whole, so a line is checked whole even inside a PATCH
    (whose partial flag would otherwise let a line without `sku` or `quantity` through)."""

    sku = StringField(max_length=64)
    quantity = WholeNumberField(min_value=1, max_value=MAX_QUANTITY)
    unit_cost = DecimalTextField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True,
        help_text="The supplier's cost for the SKU when omitted, else the catalogue cost.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            missing = {name: [field.error_messages["required"]] for name, field in self.fields.items()
                       if field.required and name not in data}
            if missing:
                raise serializers.ValidationError(missing)
        return super().to_internal_value(data)


class PurchaseOrderCreateSerializer(serializers.Serializer):
    supplier = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Supplier id.")
    lines = PurchaseOrderLineRequestSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    expected_date = serializers.DateField(required=False, allow_null=True, default=None)
    tax = DecimalTextField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False,
                                   default=Decimal("0"))
    shipping = DecimalTextField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False,
                                        default=Decimal("0"))
    notes = StringField(max_length=5000, required=False, allow_blank=True, default="")
    submit = JsonBooleanField(required=False, default=False, help_text="Submit it (PENDING) at once.")

    def validate_supplier(self, value: int) -> Supplier:
        return _supplier_by_id(value)


class PurchaseOrderUpdateSerializer(serializers.Serializer):
    """PATCH: only the fields sent change. PUT: supplier and lines are required and the
    other fields left out are reset. Supplier, lines, tax and shipping only while DRAFT."""

    supplier = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Supplier id.")
    lines = PurchaseOrderLineRequestSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    expected_date = serializers.DateField(required=False, allow_null=True, default=None)
    tax = DecimalTextField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False,
                                   default=Decimal("0"))
    shipping = DecimalTextField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False,
                                        default=Decimal("0"))
    notes = StringField(max_length=5000, required=False, allow_blank=True, default="")

    def validate_supplier(self, value: int) -> Supplier:
        return _supplier_by_id(value)


class PurchaseOrderTransitionSerializer(serializers.Serializer):
    to = StatusChoiceField(choices=PurchaseOrderStatus.choices, help_text="The status to move the order to.")
    note = StringField(max_length=300, required=False, allow_blank=True, default="",
                                 help_text="Added to the order's history.")


class PurchaseReceiveLineRequestSerializer(serializers.Serializer):
    line = WholeNumberField(min_value=1, max_value=2**63 - 1, help_text="The purchase order line's id.")
    quantity = WholeNumberField(min_value=0, max_value=MAX_QUANTITY, help_text="Units received; 0 skips the line.")
    location = StringField(max_length=32, required=False, allow_blank=True, allow_null=True,
                                     help_text="Location code; the default location when omitted.")

    def validate_location(self, value: str | None) -> Location | None:
        return _location_by_code(value)


class PurchaseReceiveSerializer(serializers.Serializer):
    lines = PurchaseReceiveLineRequestSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    idempotency_key = StringField(
        max_length=200, help_text="Sending the receipt again with the same key returns the first and changes nothing.",
    )
    accept_over_receipt = JsonBooleanField(required=False, default=False,
                                                   help_text="Receive more than ordered (needs a reason).")
    over_receipt_reason = StringField(max_length=200, required=False, allow_blank=True, default="")
    notes = StringField(max_length=5000, required=False, allow_blank=True, default="")


# --- helpers --------------------------------------------------------------------

def _context(request) -> dict:
    return {"show_prices": request.user.has_perm(PRICES_PERM)}


def _order_body(request, order: PurchaseOrder) -> dict:
    fresh = purchase_order_with_details(purchase_order_list()).get(pk=order.pk)
    return PurchaseOrderSerializer(fresh, context=_context(request)).data


def _line_requests(lines: list[dict]) -> list[PurchaseLineRequest]:
    variants = line_variants(lines)
    return [PurchaseLineRequest(variant=variant, quantity=line["quantity"], unit_cost=line.get("unit_cost"))
            for variant, line in zip(variants, lines, strict=True)]


def _refuse_money_without_prices(request, data: dict) -> None:
    """Costs are set only by users who may see them."""
    if request.user.has_perm(PRICES_PERM):
        return
    sent = [name for name in ("tax", "shipping") if name in request.data]
    if any(isinstance(line, dict) and line.get("unit_cost") is not None for line in data.get("lines", [])):
        sent.append("unit_cost")
    if sent:
        raise PermissionDenied(f"Setting {', '.join(sent)} needs the permission to see prices.")


UNKNOWN_ORDER = OpenApiResponse(ErrorSerializer, description="Unknown purchase order.")
UNKNOWN_SKU = OpenApiResponse(ErrorSerializer, description="Unknown SKU (named with its line).")
NOT_DRAFT = OpenApiResponse(IllegalTransitionSerializer, description="Not allowed in the order's status.")
MONEY_NOTE = "Money fields (subtotal, tax, shipping, total, unit_cost, line_total) only for users who may see prices."


# --- views ----------------------------------------------------------------------

@extend_schema(
    methods=["GET"],
    operation_id="purchase_order_list",
    summary="List purchase orders, newest first",
    description=MONEY_NOTE,
    tags=["purchase orders"],
    parameters=[PurchaseOrderListQuerySerializer, *PAGE_PARAMETERS],
    responses={200: PurchaseOrderPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@extend_schema(
    methods=["POST"],
    operation_id="purchase_order_create",
    summary="Create a purchase order",
    description=(
        "A DRAFT (PENDING with `submit`). A line without `unit_cost` takes the supplier's cost for the SKU, "
        "else the catalogue cost; a SKU sent twice becomes one line. Setting costs, tax or shipping needs the "
        "permission to see prices."
    ),
    tags=["purchase orders"],
    request=PurchaseOrderCreateSerializer,
    responses={201: PurchaseOrderSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: UNKNOWN_SKU},
)
@api_view(["GET", "POST"])
@permission_classes([CanListOrCreatePurchaseOrders])
@parser_classes(WRITE_PARSERS)
def purchase_order_list_view(request):
    if request.method == "POST":
        return _purchase_order_create(request)
    query = PurchaseOrderListQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    filters = query.validated_data
    orders = purchase_order_with_details(purchase_order_list(
        status=filters.get("status") or None, supplier_id=filters.get("supplier"), q=filters.get("q")))
    return paginated_response(request, orders, PurchaseOrderSerializer, context=_context(request))


def _purchase_order_create(request) -> Response:
    serializer = PurchaseOrderCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    _refuse_money_without_prices(request, data)
    order = purchase_order_create(
        supplier=data["supplier"],
        lines=_line_requests(data["lines"]),
        expected_date=data["expected_date"],
        tax=data["tax"],
        shipping=data["shipping"],
        notes=data["notes"],
        user=request.user,
        submit=data["submit"],
    )
    return Response(_order_body(request, order), status=status.HTTP_201_CREATED)


@extend_schema(
    methods=["GET"],
    operation_id="purchase_order_detail",
    summary="One purchase order",
    description=MONEY_NOTE,
    tags=["purchase orders"],
    responses={200: PurchaseOrderSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: UNKNOWN_ORDER},
)
@extend_schema(
    methods=["PATCH"],
    operation_id="purchase_order_partial_update",
    summary="Change some fields of a purchase order",
    description=(
        "Only the fields sent change. `supplier`, `lines` (replacing all lines), `tax` and `shipping` only while "
        "DRAFT; `expected_date` and `notes` until the order is received or cancelled."
    ),
    tags=["purchase orders"],
    request=PurchaseOrderUpdateSerializer(partial=True),
    responses={200: PurchaseOrderSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN,
               404: OpenApiResponse(ErrorSerializer, description="Unknown purchase order or SKU."), 409: NOT_DRAFT},
)
@extend_schema(
    methods=["PUT"],
    operation_id="purchase_order_update",
    summary="Replace a draft purchase order's contents",
    description="`supplier` and `lines` are required; `expected_date`, `tax`, `shipping` and `notes` left out are "
                "reset. Only while DRAFT.",
    tags=["purchase orders"],
    request=PurchaseOrderUpdateSerializer,
    responses={200: PurchaseOrderSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN,
               404: OpenApiResponse(ErrorSerializer, description="Unknown purchase order or SKU."), 409: NOT_DRAFT},
)
@extend_schema(
    methods=["DELETE"],
    operation_id="purchase_order_delete",
    summary="Delete a draft purchase order",
    description="Only a DRAFT can be deleted; anything further along is cancelled instead (409).",
    tags=["purchase orders"],
    request=None,
    responses={204: None, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: UNKNOWN_ORDER, 409: NOT_DRAFT},
)
@api_view(["GET", "PATCH", "PUT", "DELETE"])
@permission_classes([CanViewEditOrDeletePurchaseOrders])
@parser_classes(WRITE_PARSERS)
def purchase_order_detail_view(request, po_id: int):
    order = purchase_order_get(pk=po_id)
    if request.method == "DELETE":
        purchase_order_delete(order=order, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
    if request.method in ("PATCH", "PUT"):
        serializer = PurchaseOrderUpdateSerializer(data=request.data, partial=request.method == "PATCH")
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _refuse_money_without_prices(request, data)
        fields = ("supplier", "expected_date", "tax", "shipping", "notes")
        changes = {name: data[name] for name in fields if name in data}
        if "lines" in data:
            changes["lines"] = _line_requests(data["lines"])
        order = purchase_order_update(order=order, user=request.user, **changes)
    return Response(_order_body(request, order))


@extend_schema(
    operation_id="purchase_order_transition",
    summary="Move a purchase order to another status",
    description=(
        "DRAFT → PENDING → CONFIRMED → SHIPPED by hand; CANCELLED from any status before RECEIVED. "
        "PARTIALLY_RECEIVED and RECEIVED are reached by receiving goods."
    ),
    tags=["purchase orders"],
    request=PurchaseOrderTransitionSerializer,
    responses={
        200: PurchaseOrderSerializer,
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: UNKNOWN_ORDER,
        409: OpenApiResponse(IllegalTransitionSerializer, description="Not allowed from the order's status."),
    },
)
@api_view(["POST"])
@permission_classes([CanTransitionPurchaseOrders])
@parser_classes(WRITE_PARSERS)
def purchase_order_transition_view(request, po_id: int):
    order = purchase_order_get(pk=po_id)
    serializer = PurchaseOrderTransitionSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    order = purchase_order_transition(order=order, to=data["to"], user=request.user, note=data["note"])
    return Response(_order_body(request, order))


@extend_schema(
    operation_id="purchase_order_receive",
    summary="Receive goods against a purchase order",
    description=(
        "Writes a RESTOCK movement (linked to the supplier and the order) per line at its location, all lines or "
        "none; the order becomes PARTIALLY_RECEIVED, or RECEIVED once every line has arrived. More than ordered "
        "is refused (409) unless `accept_over_receipt` with `over_receipt_reason`. Answers 201; the same "
        "`idempotency_key` again answers 200 with the first receipt and changes nothing."
    ),
    tags=["purchase orders"],
    request=PurchaseReceiveSerializer,
    responses={
        201: PurchaseReceiveResultSerializer,
        200: OpenApiResponse(PurchaseReceiveResultSerializer,
                             description="Replay of an earlier receipt with the same idempotency key."),
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: UNKNOWN_ORDER,
        409: OpenApiResponse(OverReceiptSerializer, description=(
            "More than ordered without `accept_over_receipt`, the order is not confirmed yet or is closed, or the "
            "idempotency key belongs to another order's receipt."
        )),
    },
)
@api_view(["POST"])
@permission_classes([CanReceivePurchaseOrders])
@parser_classes(WRITE_PARSERS)
def purchase_order_receive_view(request, po_id: int):
    order = purchase_order_get(pk=po_id)
    serializer = PurchaseReceiveSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    result = purchase_order_receive(
        order=order,
        lines=[ReceiptLineRequest(line_id=line["line"], quantity=line["quantity"], location=line.get("location"))
               for line in data["lines"]],
        idempotency_key=data["idempotency_key"],
        user=request.user,
        allow_over_receipt=data["accept_over_receipt"],
        over_receipt_reason=data["over_receipt_reason"],
        notes=data["notes"],
    )
    receipt = purchase_order_receipts(order=result.order).get(pk=result.receipt.pk)
    body = {"receipt": PurchaseReceiptSerializer(receipt).data, "order": _order_body(request, result.order)}
    return Response(body, status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED)
