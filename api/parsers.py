from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """JSON parser that answers absurdly nested documents, and strings that are not text
    (a lone surrogate, which no database column can store), with 400 instead of a crash.

    The standard parser turns ValueError into a ParseError, but json raises
    RecursionError for a body like '[[[[...' thousands of levels deep.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type=media_type, parser_context=parser_context)
            lone_surrogate = _has_lone_surrogate(data)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        if lone_surrogate:
            raise ParseError("JSON parse error - a string holds a lone surrogate (such as \\ud800), which is not text.")
        return data


def _has_lone_surrogate(value) -> bool:
    """Whether any string (or key) in the parsed document holds half of a surrogate pair."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(key) or _has_lone_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False
