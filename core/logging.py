"""Log records free of control characters.

Text from requests (a header, an id in a webhook body, a path) ends up in log lines. A
NUL, an escape sequence or a newline in it could forge lines or drive a terminal, and a lone
surrogate cannot even be written to a UTF-8 stream. `EscapeControlCharacters`, installed on
every handler in settings.LOGGING, rewrites such characters as `\\xNN` / `\\uNNNN`
(backslashes themselves are left alone, so escaping twice changes nothing).
"""
import logging
import re
import traceback

# C0 (newline and tab included), DEL, C1, and lone surrogates.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The same in tracebacks and stacks, which are several lines by nature.
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control_characters(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character and lone surrogate written as its escape."""
    pattern = _CONTROL_BUT_NEWLINE if keep_newlines else CONTROL_CHARACTERS
    return pattern.sub(_escape, text)


def _exception_lines(exc: BaseException) -> set[str]:
    """The "Type: message" lines (and notes) of an exception and those it is chained to."""
    lines: set[str] = set()
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        lines.update(traceback.format_exception_only(type(current), current))
        pending += [current.__cause__, current.__context__]
    return lines


def format_exception_escaped(exc_info) -> str:
    """The traceback logging would print, escaped: its frames keep their lines, while an
    exception's message is escaped whole (a newline in it could forge a line)."""
    messages = _exception_lines(exc_info[1]) if isinstance(exc_info[1], BaseException) else set()
    chunks = traceback.format_exception(*exc_info)
    text = "".join(
        escape_control_characters(chunk[:-1]) + "\n" if chunk in messages
        else escape_control_characters(chunk, keep_newlines=True)
        for chunk in chunks
    )
    return text.removesuffix("\n")


class EscapeControlCharacters(logging.Filter):
    """Escape control characters in a record's message (with its args) and its traceback.

    It changes the record itself, so every handler after it sees the clean text; a clean
    message is left exactly as it was (its msg and args untouched). A traceback keeps its
    line breaks, not those of an exception's message. It never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a broken call: the handler reports it as logging always does
        if CONTROL_CHARACTERS.search(message):
            record.msg = escape_control_characters(message)
            record.args = ()
        if record.exc_info and not record.exc_text:
            try:  # what Formatter.format would cache there, escaped
                record.exc_text = format_exception_escaped(record.exc_info)
            except Exception:
                pass  # the formatter prints the traceback as usual; a filter must not raise
        elif record.exc_text:
            record.exc_text = escape_control_characters(record.exc_text, keep_newlines=True)
        if record.stack_info:
            record.stack_info = escape_control_characters(record.stack_info, keep_newlines=True)
        return True
