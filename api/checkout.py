"""JSON API v1: checkout — reserve a cart and open a Stripe Checkout Session for it.

Needs orders.add_salesorder. The order and its reservation come from
orders.services.checkout_create; the answer shows the order as api.orders does.
"""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.response import Response

from api.lines import line_variants
from api.openapi import BAD_INPUT, FORBIDDEN, UNAUTHENTICATED, WRITE_PARSERS
from api.orders import order_context, order_with_details
from api.permissions import CanCheckout
from api.serializers import CheckoutResultSerializer, CheckoutSerializer, ErrorSerializer, ShortfallSerializer
from orders.services import OrderLineRequest, checkout_create

UNKNOWN_SKU = OpenApiResponse(ErrorSerializer, description="Unknown SKU.")
SHORTFALL = OpenApiResponse(ShortfallSerializer, description="Not enough stock for some lines: nothing was held.")


@extend_schema(
    operation_id="checkout_create",
    summary="Reserve a cart and open a Stripe Checkout Session for it",
    description=(
        "Creates a PENDING order, reserves its lines and asks Stripe for a Checkout Session that lapses "
        "with the reservation. Send the customer to `checkout_url`; Stripe's webhooks then confirm or "
        "release the order."
    ),
    tags=["checkout"],
    request=CheckoutSerializer,
    responses={
        201: CheckoutResultSerializer,
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: UNKNOWN_SKU,
        409: SHORTFALL,
        502: OpenApiResponse(ErrorSerializer, description="Stripe refused: the order is cancelled and the stock released."),
        503: OpenApiResponse(ErrorSerializer, description="Payments are not configured (STRIPE_SECRET_KEY)."),
    },
)
@api_view(["POST"])
@permission_classes([CanCheckout])
@parser_classes(WRITE_PARSERS)
def checkout_view(request):
    serializer = CheckoutSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    variants = line_variants(data["lines"])
    result = checkout_create(
        lines=[
            OrderLineRequest(variant=variant, quantity=line["quantity"])
            for variant, line in zip(variants, data["lines"], strict=True)
        ],
        success_url=data["success_url"],
        cancel_url=data["cancel_url"],
        customer_email=data["customer_email"],
        customer_name=data["customer_name"],
        user=request.user,
    )
    body = {"order": order_with_details(result.order.number), "checkout_url": result.checkout_url,
            "expires_at": result.expires_at}
    return Response(CheckoutResultSerializer(body, context=order_context(request)).data, status=status.HTTP_201_CREATED)
