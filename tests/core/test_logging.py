"""Log records reach every handler with control characters escaped."""
import logging
import sys

import pytest
from django.conf import settings

from core.logging import EscapeControlCharacters, escape_control_characters

HOSTILE = "a\x00b\x1b[2J\nforged\r\x7f\x85\ud800\udfff\t!"
ESCAPED = "a\\x00b\\x1b[2J\\x0aforged\\x0d\\x7f\\x85\\ud800\\udfff\\x09!"


def _record(msg, args=(), exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("stockroom.test", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_escape_control_characters_escapes_c0_del_c1_and_lone_surrogates():
    assert escape_control_characters(HOSTILE) == ESCAPED
    assert escape_control_characters(ESCAPED) == ESCAPED  # applying it twice changes nothing
    assert escape_control_characters("Grüße, 東京 😀 € ü") == "Grüße, 東京 😀 € ü"


def test_escape_control_characters_filter_escapes_message_and_args():
    record = _record("event %s (%r) %d", (HOSTILE, "\x00", 3))

    assert EscapeControlCharacters().filter(record) is True

    assert record.getMessage() == f"event {ESCAPED} ('\\x00') 3"
    assert record.getMessage().isprintable()


def test_escape_control_characters_filter_leaves_a_clean_record_as_it_was():
    record = _record("event %s: %d%%", ("evt_1", 5))

    assert EscapeControlCharacters().filter(record) is True

    assert (record.msg, record.args, record.exc_text) == ("event %s: %d%%", ("evt_1", 5), None)


def test_escape_control_characters_filter_escapes_the_traceback_keeping_its_lines():
    try:
        raise ValueError(HOSTILE)
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info())

    EscapeControlCharacters().filter(record)
    text = logging.Formatter().format(record)

    lines = text.split("\n")
    assert lines[:2] == ["failed", "Traceback (most recent call last):"]
    assert lines[-1] == f"ValueError: {ESCAPED}"  # its newline escaped: it cannot forge a line
    assert all(line.isprintable() for line in lines)


def test_logging_settings_put_the_filter_on_every_handler():
    config = settings.LOGGING
    assert config["filters"]["escape_control_characters"]["()"] == "core.logging.EscapeControlCharacters"
    for name, handler in config["handlers"].items():
        assert "escape_control_characters" in handler.get("filters", []), name


@pytest.mark.parametrize("name", ["", "django", "django.request", "django.server", "orders.webhooks"])
def test_logging_every_live_handler_escapes_control_characters(name):
    logger = logging.getLogger(name)
    handlers = []
    while logger is not None:
        handlers += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None

    assert handlers
    for handler in handlers:
        assert any(isinstance(f, EscapeControlCharacters) for f in handler.filters), handler


def test_logging_output_carries_no_control_characters(caplog):
    logger = logging.getLogger("orders.webhooks")

    logger.warning("Stripe event %s refused", HOSTILE)
    try:
        raise RuntimeError(HOSTILE)
    except RuntimeError:
        logger.exception("Stripe event %s failed", "evt_\x00")

    assert [r.getMessage() for r in caplog.records] == [f"Stripe event {ESCAPED} refused",
                                                        "Stripe event evt_\\x00 failed"]
    assert caplog.text.endswith(f"\nRuntimeError: {ESCAPED}\n")
    assert all(line.isprintable() for line in caplog.text.split("\n"))
