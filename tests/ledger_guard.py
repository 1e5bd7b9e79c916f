"""Only inventory.ledger writes the stock tables, proven on every statement the suite sends.

Each INSERT, UPDATE or DELETE of the stock level or stock movement table is traced to the
first frame of this project's code that sent it. A writer outside inventory/ledger fails the
test that ran it (tests themselves may write, to build or to break a ledger on purpose). The
import contract (.importlinter, "ledger-writes") keeps the writers unimported; this keeps any
other code from writing the tables with the ORM or with SQL of its own.
"""
import re
import sys
import threading
from pathlib import Path

from django.db import connections
from django.db.backends.signals import connection_created

ROOT = Path(__file__).resolve().parent.parent
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(inventory_stocklevel|inventory_stockmovement)\b',
                   re.IGNORECASE)
LEDGER = "inventory/ledger/"
# Tests and benchmarks build fixtures directly; a restore and a restore drill replace whole
# tables from a verified backup (not a change of stock).
ALLOWED = ("tests/", "bench/", "conftest.py", "backups/services/restore.py", "backups/services/drill.py")

_violations: list[str] = []
_lock = threading.Lock()


def _writer() -> str | None:
    """The project file (relative path) of the innermost frame of our own code, or None."""
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(ROOT) and ".venv" not in path.parts:
            return f"{path.relative_to(ROOT).as_posix()}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _guard(execute, sql, params, many, context):
    if isinstance(sql, str) and sql[:6].upper() in ("INSERT", "UPDATE", "DELETE") and (match := WRITE.match(sql)):
        writer = _writer()
        if writer is not None and not writer.startswith(LEDGER) and not writer.startswith(ALLOWED):
            with _lock:
                _violations.append(f"{writer} wrote {match.group(1)}: {sql[:120]}")
    return execute(sql, params, many, context)


def _install(connection, **kwargs) -> None:
    if _guard not in connection.execute_wrappers:
        connection.execute_wrappers.append(_guard)


def install() -> None:
    connection_created.connect(_install, dispatch_uid="ledger_guard")
    for connection in connections.all(initialized_only=True):
        _install(connection)


def take_violations() -> list[str]:
    with _lock:
        found = list(_violations)
        _violations.clear()
    return found
