"""Request fields that take JSON as the schema describes it, without coercion.

DRF turns 3 into "3" for a CharField, "3" into 3 for an IntegerField and "yes" into True
for a BooleanField; a client that sends the wrong type is told so instead.
"""
from rest_framework import serializers


class StringField(serializers.CharField):
    """Text sent as a JSON string (query parameters are always strings)."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class WholeNumberField(serializers.IntegerField):
    """An integer sent as a JSON number: "3", 2.5 and true are refused, not coerced."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonBooleanField(serializers.BooleanField):
    """true or false, as JSON sends them."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data



class FormBooleanField(serializers.BooleanField):
    """true or false in a multipart form: the words themselves, nothing else ("1", "yes" and ""
    are refused, as the schema's boolean says)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if data in ("true", "false"):
            return data == "true"
        self.fail("invalid")


class DecimalTextField(serializers.DecimalField):
    """An amount sent as a JSON string ("12.50"), as the schema says: a JSON number is refused,
    since its binary fraction is not the amount the client meant to send."""

    default_error_messages = {**serializers.DecimalField.default_error_messages,
                              "not_text": 'Send the amount as a string, e.g. "12.50".'}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)
