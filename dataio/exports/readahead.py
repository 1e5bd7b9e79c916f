"""Reading an export's chunks in a second thread while the writer writes the ones before."""
import queue
import threading
from collections.abc import Iterator

from django.db import connections, transaction

READ_AHEAD_DEPTH = 2
_READ_DONE = object()


def _read_ahead_possible() -> bool:
    """Reading in a second thread needs PostgreSQL and no transaction open here: the
    thread's own connection would not see rows this one has not committed."""
    connection = connections["default"]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _read_ahead(chunks: Iterator) -> Iterator:
    """Pull the chunks in a thread with its own database connection while the caller
    writes the ones before: PostgreSQL and the writer work at the same time instead of
    taking turns. The thread reads inside one transaction (one snapshot, and a cursor
    streamed as it is read rather than materialised WITH HOLD first); at most
    READ_AHEAD_DEPTH chunks wait in between, so memory stays flat."""
    handoff: queue.Queue = queue.Queue(maxsize=READ_AHEAD_DEPTH)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with transaction.atomic():
                for chunk in chunks:
                    if not put(chunk):
                        return
            put(_READ_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading side, raised there
            put(exc)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=produce, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is _READ_DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
