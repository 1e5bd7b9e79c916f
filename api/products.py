"""JSON API v1: products with their variants nested.

Reads need inventory.view_product; creating needs add_product, changing and archiving
change_product, DELETE delete_product; adding variants add_variant, changing one
change_variant, deleting one delete_variant. Prices and costs are shown and set only by
users who may see prices (inventory.view_prices): Staff get products without them.

DELETE removes a product (or variant) nothing refers to; one that has stock, movements,
orders or supplier items is archived instead (200 with the archived record).
"""
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from api.exceptions import UNKNOWN
from api.fields import DecimalTextField, JsonBooleanField, StringField, WholeNumberField
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.serializers import ErrorSerializer
from api.suppliers import MethodPermission
from core.exceptions import Conflict
from inventory.models import Category, Product, Variant
from inventory.selectors_catalogue import PRICE_SORTS, PRODUCT_SORTS, product_get, product_list, product_variant_get
from inventory.services.products import (
    MAX_MONEY,
    MAX_VARIANTS,
    VariantRowError,
    VariantSpec,
    product_archive,
    product_create,
    product_delete,
    product_update,
    variant_archive,
    variant_delete,
    variant_update,
    variants_add,
)

PRICES_PERM = "inventory.view_prices"
PRICE_NOTE = "Prices and costs only for users who may see prices (inventory.view_prices)."


class CanUseProducts(MethodPermission):
    perms = {"GET": "inventory.view_product", "POST": "inventory.add_product", "PATCH": "inventory.change_product",
             "DELETE": "inventory.delete_product"}
    messages = {"GET": "You do not have permission to view products.",
                "POST": "You do not have permission to create products.",
                "PATCH": "You do not have permission to edit products.",
                "DELETE": "You do not have permission to delete products."}


class CanArchiveProducts(MethodPermission):
    perms = {"POST": "inventory.change_product"}
    messages = {"POST": "You do not have permission to archive products."}


class CanUseVariants(MethodPermission):
    perms = {"GET": "inventory.view_product", "POST": "inventory.add_variant", "PATCH": "inventory.change_variant", "DELETE": "inventory.delete_variant"}
    messages = {"GET": "You do not have permission to view products.",
                "POST": "You do not have permission to add variants.",
                "PATCH": "You do not have permission to edit variants.",
                "DELETE": "You do not have permission to delete variants."}


# --- output -------------------------------------------------------------------------

def _file_url(url: str) -> str | None:
    return url or None


class VariantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = StringField()
    attributes = serializers.DictField(child=StringField(), help_text='Options, e.g. {"size": "M", "colour": "Blue"}.')
    barcode = StringField()
    price = DecimalTextField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                             help_text="The variant's own price (null: the product's). " + PRICE_NOTE)
    cost = DecimalTextField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                            help_text="The variant's own cost (null: the product's). " + PRICE_NOTE)
    effective_price = DecimalTextField(max_digits=12, decimal_places=2, required=False, help_text=PRICE_NOTE)
    effective_cost = DecimalTextField(max_digits=12, decimal_places=2, required=False, help_text=PRICE_NOTE)
    active = serializers.BooleanField()
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_image_url(self, variant) -> str | None:
        return _file_url(variant.image_url)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_thumbnail_url(self, variant) -> str | None:
        return _file_url(variant.thumbnail_url)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_prices", False):
            for name in ("price", "cost", "effective_price", "effective_cost"):
                data.pop(name, None)
        return data


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StringField()
    description = StringField()
    category = serializers.IntegerField(source="category_id", allow_null=True)
    category_path = serializers.SerializerMethodField()
    price = DecimalTextField(max_digits=12, decimal_places=2, required=False, help_text=PRICE_NOTE)
    cost = DecimalTextField(max_digits=12, decimal_places=2, required=False, help_text=PRICE_NOTE)
    track_inventory = serializers.BooleanField()
    active = serializers.BooleanField(help_text="false: archived.")
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_category_path(self, product) -> str | None:
        return product.category.path if product.category_id else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_image_url(self, product) -> str | None:
        return _file_url(product.image_url)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_thumbnail_url(self, product) -> str | None:
        return _file_url(product.thumbnail_url)

    @extend_schema_field(VariantSerializer(many=True))
    def get_variants(self, product) -> list[dict]:
        return VariantSerializer(product.variants.all(), many=True, context=self.context).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_prices", False):
            data.pop("price", None)
            data.pop("cost", None)
        return data


class ProductPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProductSerializer(many=True)


class VariantPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = VariantSerializer(many=True)


# --- input --------------------------------------------------------------------------

class ProductListQuerySerializer(serializers.Serializer):
    q = StringField(required=False, allow_blank=True, max_length=200, help_text="Name, or a variant's SKU or barcode.")
    category = serializers.IntegerField(required=False, min_value=1, max_value=2**53,
                                        help_text="A category id (its subcategories included).")
    active = serializers.BooleanField(required=False, default=None, help_text="true: active only; false: archived only.")
    sort = serializers.ChoiceField(choices=list(PRODUCT_SORTS), required=False, default="name",
                                   help_text="Sorting by price needs the permission to see prices.")


class MoneyField(DecimalTextField):
    """An amount as a string; an empty string is no amount (null is, where allowed)."""

    def validate_empty_values(self, data):
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")
        return super().validate_empty_values(data)


def _money(**kwargs) -> MoneyField:
    return MoneyField(max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=MAX_MONEY - Decimal("0.01"),
                      **kwargs)


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"})
class ProductNameField(StringField):
    """A product's name: some text besides spaces."""


class CategoryRefField(WholeNumberField):
    """A category by id (null: none)."""

    def run_validation(self, data=serializers.empty):
        pk = super().run_validation(data)
        if pk is None:
            return None
        category = Category.objects.filter(pk=pk).first()
        if category is None:
            raise serializers.ValidationError(f"Unknown category {pk}.", code=UNKNOWN)
        return category


SKU_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"}


@extend_schema_field(SKU_SCHEMA)
class SkuField(StringField):
    pass


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 60, "pattern": r"\S"})
class OptionValueField(StringField):
    pass


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 40, "pattern": r"\S"})
class OptionNameField(StringField):
    pass


class OptionSerializer(serializers.Serializer):
    name = OptionNameField(max_length=40, trim_whitespace=False, help_text="e.g. size")
    value = OptionValueField(max_length=60, trim_whitespace=False, help_text="e.g. M")


def _options_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=OptionSerializer(), max_length=3,
        help_text='The variant\'s options, e.g. [{"name": "size", "value": "M"}] (answered as `attributes`); '
                  "each name once, the combination unique per product.", **kwargs)


def _attributes(options: list[dict]) -> dict[str, str]:
    """Options as the variant stores them; a name given twice is a conflict (409)."""
    attributes: dict[str, str] = {}
    seen = set()
    for option in options:
        key = option["name"].strip().casefold()
        if key in seen:
            raise Conflict(f"Option {option['name'].strip()!r} is given twice.", field="options")
        seen.add(key)
        attributes[option["name"]] = option["value"]
    return attributes


class VariantCreateSerializer(serializers.Serializer):
    sku = SkuField(max_length=64, trim_whitespace=False)
    options = _options_field(required=False, default=list)
    barcode = StringField(required=False, allow_blank=True, max_length=64, default="", trim_whitespace=False)
    price = _money(required=False, allow_null=True, default=None, help_text="Own price; null: the product's.")
    cost = _money(required=False, allow_null=True, default=None, help_text="Own cost; null: the product's.")
    active = JsonBooleanField(required=False, default=True)


class ProductCreateSerializer(serializers.Serializer):
    name = ProductNameField(max_length=200, trim_whitespace=False)
    description = StringField(required=False, allow_blank=True, max_length=5000, default="", trim_whitespace=False)
    category = CategoryRefField(required=False, allow_null=True, default=None, min_value=1)
    price = _money(required=False, default=Decimal("0.00"), help_text=PRICE_NOTE)
    cost = _money(required=False, default=Decimal("0.00"), help_text=PRICE_NOTE)
    track_inventory = JsonBooleanField(required=False, default=True)
    active = JsonBooleanField(required=False, default=True)
    variants = serializers.ListField(child=VariantCreateSerializer(), allow_empty=False, min_length=1, max_length=MAX_VARIANTS,
                                     help_text="At least one; SKUs unique.")


class ProductUpdateSerializer(serializers.Serializer):
    name = ProductNameField(max_length=200, required=False, trim_whitespace=False)
    description = StringField(required=False, allow_blank=True, max_length=5000, trim_whitespace=False)
    category = CategoryRefField(required=False, allow_null=True, min_value=1)
    price = _money(required=False, help_text=PRICE_NOTE)
    cost = _money(required=False, help_text=PRICE_NOTE)
    track_inventory = JsonBooleanField(required=False)
    active = JsonBooleanField(required=False, help_text="false archives the product; true restores it.")


class VariantsAddSerializer(serializers.Serializer):
    variants = serializers.ListField(child=VariantCreateSerializer(), allow_empty=False, min_length=1, max_length=MAX_VARIANTS)


class VariantUpdateSerializer(serializers.Serializer):
    sku = SkuField(max_length=64, required=False, trim_whitespace=False)
    options = _options_field(required=False)
    barcode = StringField(required=False, allow_blank=True, max_length=64, trim_whitespace=False)
    price = _money(required=False, allow_null=True)
    cost = _money(required=False, allow_null=True)
    active = JsonBooleanField(required=False, help_text="false archives the variant; true restores it.")


# --- helpers ------------------------------------------------------------------------

def _context(request) -> dict:
    return {"show_prices": request.user.has_perm(PRICES_PERM)}


def _refuse_prices(request, data) -> None:
    if request.user.has_perm(PRICES_PERM):
        return
    fields = {"price", "cost"}
    sent = set(data) & fields if isinstance(data, dict) else set()
    for variant in (data.get("variants") or []) if isinstance(data, dict) else []:
        if isinstance(variant, dict):
            sent |= set(variant) & fields
    if sent:
        raise PermissionDenied("Setting prices or costs needs the permission to see prices; leave them out.")


def _product_response(request, product: Product, *, status_code: int = status.HTTP_200_OK) -> Response:
    product = product_get(pk=product.pk)
    return Response(ProductSerializer(product, context=_context(request)).data, status=status_code)


def _specs(rows: list[dict]) -> list[VariantSpec]:
    return [VariantSpec(sku=row["sku"], attributes=_attributes(row["options"]), barcode=row["barcode"],
                        price=row["price"], cost=row["cost"], active=row["active"]) for row in rows]


def _row_error_response(exc: VariantRowError) -> Response:
    code = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
    return Response({"variants": [exc.message], "row": exc.row, "field": exc.row_field}, status=code)


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown product or variant.")
SKU_TAKEN = OpenApiResponse(OpenApiTypes.OBJECT, description="`{variants: [message], row, field}`: a SKU or the "
                                                              "options are taken, by another row or an existing "
                                                              "variant (the message names the row).")
ARCHIVED = OpenApiResponse(ProductSerializer, description="Something refers to it: archived instead of deleted.")


# --- products -----------------------------------------------------------------------

@extend_schema(
    methods=["GET"], operation_id="product_list", summary="List products with their variants", tags=["catalogue"],
    description=PRICE_NOTE, parameters=[ProductListQuerySerializer, *PAGE_PARAMETERS],
    responses={200: ProductPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@extend_schema(
    methods=["POST"], operation_id="product_create", summary="Create a product with its variants", tags=["catalogue"],
    description="Sending prices or costs needs the permission to see prices.", request=ProductCreateSerializer,
    responses={201: ProductSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 409: SKU_TAKEN},
)
@api_view(["GET", "POST"])
@permission_classes([CanUseProducts])
@parser_classes(WRITE_PARSERS)
def product_list_view(request):
    if request.method == "POST":
        serializer = ProductCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _refuse_prices(request, request.data)
        data = serializer.validated_data
        try:
            product = product_create(
                name=data["name"], description=data["description"], category=data["category"], price=data["price"],
                cost=data["cost"], track_inventory=data["track_inventory"], active=data["active"],
                variants=_specs(data["variants"]), user=request.user,
            )
        except VariantRowError as exc:
            return _row_error_response(exc)
        return _product_response(request, product, status_code=status.HTTP_201_CREATED)
    query = ProductListQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    params = query.validated_data
    sort = params.get("sort") or "name"
    if sort in PRICE_SORTS and not request.user.has_perm(PRICES_PERM):
        raise PermissionDenied("Sorting by price needs the permission to see prices.")
    products = product_list(q=params.get("q"), category_id=params.get("category"), active=params.get("active"),
                            sort=sort).prefetch_related("variants")
    return paginated_response(request, products, ProductSerializer, context=_context(request))


@extend_schema(
    methods=["GET"], operation_id="product_detail", summary="One product with its variants", tags=["catalogue"],
    description=PRICE_NOTE, responses={200: ProductSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["PATCH"], operation_id="product_update", summary="Change some of a product's fields", tags=["catalogue"],
    description='`{"active": false}` archives it. Sending prices or costs needs the permission to see prices.',
    request=ProductUpdateSerializer,
    responses={200: ProductSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["DELETE"], operation_id="product_delete", summary="Delete a product, or archive it when it is in use",
    description="Deleted (204) when nothing refers to its variants; archived (200, the product) when stock, "
                "movements, orders or supplier items do.",
    tags=["catalogue"], request=None,
    responses={204: OpenApiResponse(description="Deleted."), 200: ARCHIVED, 401: UNAUTHENTICATED, 403: FORBIDDEN,
               404: NOT_FOUND},
)
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([CanUseProducts])
@parser_classes(WRITE_PARSERS)
def product_detail_view(request, product_id: int):
    product = product_get(pk=product_id)
    if request.method == "GET":
        return _product_response(request, product)
    if request.method == "DELETE":
        try:
            product_delete(product=product, user=request.user)
        except Conflict:
            product = product_archive(product=product, user=request.user)
            return _product_response(request, product)
        return Response(status=status.HTTP_204_NO_CONTENT)
    serializer = ProductUpdateSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    _refuse_prices(request, request.data)
    product = product_update(product=product, **serializer.validated_data, user=request.user)
    return _product_response(request, product)


@extend_schema(
    methods=["POST"], operation_id="product_archive", summary="Archive a product", tags=["catalogue"],
    description="Hidden from active lists; its variants, stock and history stay. PATCH active=true restores it.",
    request=None, responses={200: ProductSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@api_view(["POST"])
@permission_classes([CanArchiveProducts])
@parser_classes(WRITE_PARSERS)
def product_archive_view(request, product_id: int):
    product = product_archive(product=product_get(pk=product_id), user=request.user)
    return _product_response(request, product)


# --- variants -----------------------------------------------------------------------

@extend_schema(
    methods=["GET"], operation_id="product_variant_list", summary="A product's variants", tags=["catalogue"],
    description=PRICE_NOTE, parameters=PAGE_PARAMETERS,
    responses={200: VariantPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["POST"], operation_id="product_variants_add", summary="Add variants to a product", tags=["catalogue"],
    request=VariantsAddSerializer,
    responses={201: ProductSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: SKU_TAKEN},
)
@api_view(["GET", "POST"])
@permission_classes([CanUseVariants])
@parser_classes(WRITE_PARSERS)
def product_variants_view(request, product_id: int):
    product = product_get(pk=product_id)
    if request.method == "GET":
        variants = Variant.objects.filter(product=product).select_related("product").order_by("pk")
        return paginated_response(request, variants, VariantSerializer, context=_context(request))
    serializer = VariantsAddSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    _refuse_prices(request, request.data)
    try:
        variants_add(product=product, variants=_specs(serializer.validated_data["variants"]), user=request.user)
    except VariantRowError as exc:
        return _row_error_response(exc)
    return _product_response(request, product, status_code=status.HTTP_201_CREATED)


@extend_schema(
    methods=["GET"], operation_id="product_variant_detail", summary="One variant of a product", tags=["catalogue"],
    description=PRICE_NOTE, responses={200: VariantSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["PATCH"], operation_id="product_variant_update", summary="Change a variant", tags=["catalogue"],
    description='`{"active": false}` archives it.', request=VariantUpdateSerializer,
    responses={200: VariantSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: OpenApiResponse(ErrorSerializer, description="The SKU or the options are taken.")},
)
@extend_schema(
    methods=["DELETE"], operation_id="product_variant_delete", summary="Delete a variant, or archive it when in use",
    tags=["catalogue"], request=None,
    responses={204: OpenApiResponse(description="Deleted."),
               200: OpenApiResponse(VariantSerializer, description="In use (or the product's only variant): archived."),
               401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([CanUseVariants])
@parser_classes(WRITE_PARSERS)
def product_variant_detail_view(request, product_id: int, variant_id: int):
    product = product_get(pk=product_id)
    variant = product_variant_get(product=product, pk=variant_id)
    if request.method == "GET":
        return Response(VariantSerializer(variant, context=_context(request)).data)
    if request.method == "DELETE":
        try:
            variant_delete(variant=variant, user=request.user)
        except Conflict:
            variant = variant_archive(variant=variant, user=request.user)
            return Response(VariantSerializer(variant, context=_context(request)).data)
        return Response(status=status.HTTP_204_NO_CONTENT)
    serializer = VariantUpdateSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    _refuse_prices(request, request.data)
    data = dict(serializer.validated_data)
    if "options" in data:
        data["attributes"] = _attributes(data.pop("options"))
    variant = variant_update(variant=variant, **data, user=request.user)
    return Response(VariantSerializer(Variant.objects.select_related("product").get(pk=variant.pk),
                                      context=_context(request)).data)

