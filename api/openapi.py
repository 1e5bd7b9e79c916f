"""Pieces of the OpenAPI description that every API module shares."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from api.parsers import SafeJSONParser
from api.serializers import ErrorSerializer

# The API reads JSON bodies; only file uploads (imports, backup restores) take multipart.
WRITE_PARSERS = [SafeJSONParser]

BAD_INPUT = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Bad input: `{field: [messages]}` naming the field, or `{detail}`."
)
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Signed in, but the role lacks the permission.")
PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1},
                     description="Page number, from 1; a page past the last answers 404."),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 500},
                     description="Rows per page (default 50, at most 500)."),
]


# Answers any operation can give, documented on every one by `document_common_responses`.
_ERROR = {"$ref": "#/components/schemas/Error"}
_COMMON = {
    "400": ("Bad input: `{field: [messages]}` naming the field (query or body), or `{detail}`.", None),
    "401": ("No or invalid credentials.", _ERROR),
    "403": ("Signed in, but the role lacks the permission.", _ERROR),
    "404": ("Unknown: the object in the path, a page past the last, or an object a filter or the body "
            "names (`{detail}`, with the field when one is named).", _ERROR),
    "406": ("The Accept header asks for a type this operation cannot answer.", _ERROR),
}
_WITH_BODY = {
    "415": ("The request body's Content-Type is not one this operation reads.", _ERROR),
}


def _request_rules() -> dict[str, dict]:
    """Rules between fields of a body, which a serializer's schema cannot say, per operation."""
    from inventory.services.stock import ADJUSTABLE_TYPES, DECREASING_TYPES, INCREASING_TYPES

    lowering = [t.value for t in ADJUSTABLE_TYPES if t in DECREASING_TYPES]
    raising = [t.value for t in ADJUSTABLE_TYPES if t in INCREASING_TYPES]
    either = [t.value for t in ADJUSTABLE_TYPES if t not in DECREASING_TYPES | INCREASING_TYPES]
    return {
        # A SALE or DAMAGE lowers stock, a RESTOCK, REFUND or RETURN raises it.
        "stock_adjust": {"oneOf": [
            {"properties": {"type": {"enum": lowering}, "quantity": {"maximum": -1}}},
            {"properties": {"type": {"enum": raising}, "quantity": {"minimum": 1}}},
            {"properties": {"type": {"enum": either}}},
        ]},
        # Accepting more than was ordered takes a reason.
        "purchase_order_receive": {"oneOf": [
            {"properties": {"accept_over_receipt": {"enum": [False]}}},
            {"required": ["accept_over_receipt", "over_receipt_reason"],
             "properties": {"accept_over_receipt": {"enum": [True]},
                            "over_receipt_reason": {"type": "string", "pattern": r"\S"}}},
        ]},
    }


def _declares_required(body: dict) -> bool:
    """Whether an inline request schema needs some property, in every variant it allows."""
    for media in body.get("content", {}).values():
        schema = media.get("schema", {})
        variants = schema.get("oneOf") or [schema]
        if all(variant.get("required") for variant in variants):
            return True
    return False


def document_common_responses(result, generator, request, public):
    """Schema post-processing: every operation documents the errors every operation can answer
    (bad input where it takes any, auth, unknown, Accept, and the body's type), as JSON; a
    body whose schema needs properties is itself required; rules between a body's fields
    (`_request_rules`) join its schema."""
    rules = _request_rules()
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            body = operation.get("requestBody")
            rule = rules.get(operation.get("operationId"))
            if body and rule:
                media = body["content"]["application/json"]
                media["schema"] = {"allOf": [media["schema"], rule]}
            if body and _declares_required(body):
                body["required"] = True
            responses = operation.setdefault("responses", {})
            common = dict(_COMMON)
            if "requestBody" in operation:
                common.update(_WITH_BODY)
            elif not operation.get("parameters"):
                common.pop("400")
            for code, (description, body) in common.items():
                if code in responses:
                    continue
                schema = body or {"type": "object", "additionalProperties": True}
                responses[code] = {"content": {"application/json": {"schema": schema}}, "description": description}
    return result
