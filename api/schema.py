"""The OpenAPI generator, told what DRF's own checks refuse so that the schema says it too."""
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

# No text field takes a NUL character (DRF refuses it, PostgreSQL cannot store it).
NO_NUL = r"^[^\x00]*$"
# A field that must not be blank is trimmed first (Python's idea of whitespace, which also
# counts the separators \x1c-\x1f): it needs one character that is none of these.
NOT_BLANK = r"^[^\x00]*[^\s\x00\x1c-\x1f\x85][^\x00]*$"


def _decimal_pattern(field: serializers.DecimalField) -> str:
    """What DRF reads as a number within the field's digits: not "", "-" or "." alone."""
    sign = "-?" if field.min_value is None or field.min_value < 0 else ""
    whole, places = field.max_whole_digits, field.decimal_places
    if not places:
        return rf"^{sign}\d{{1,{whole}}}$"
    return rf"^{sign}(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"


class StockroomAutoSchema(AutoSchema):
    """Request bodies as DRF checks them: lists that refuse to be empty say `minItems: 1`
    (and their cap `maxItems`), text says it takes no NUL, decimals name only real numbers."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or "$ref" in schema:
            return schema
        if schema.get("type") == "array" and isinstance(field, (serializers.ListSerializer, serializers.ListField)):
            if not field.allow_empty:
                schema.setdefault("minItems", 1)
            if getattr(field, "max_length", None) is not None:
                schema.setdefault("maxItems", field.max_length)
        elif isinstance(field, serializers.DecimalField) and schema.get("type") == "string" and field.max_whole_digits:
            schema["pattern"] = _decimal_pattern(field)
        elif isinstance(field, serializers.CharField) and schema.get("type") == "string" and "enum" not in schema:
            blank_refused = not field.allow_blank and field.trim_whitespace
            schema.setdefault("pattern", NOT_BLANK if blank_refused else NO_NUL)
        return schema
