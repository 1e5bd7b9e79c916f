"""Helpers for the threaded tests on PostgreSQL.

Each thread gets its own database connection (Django keeps one per thread) and must close
it when done, or the test database cannot be flushed or dropped afterwards.
"""
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

# Transactional tests flush the database at the end. Limiting the flush to the inventory
# tables (and suppliers, which the ledger refers to) keeps the role groups and permissions
# that migrations created, which later transactional tests (e.g. the browser tests) need.
CONCURRENCY_APPS = ["inventory", "suppliers"]


@dataclass
class ThreadRun:
    results: dict[int, Any] = field(default_factory=dict)
    errors: list[tuple[int, BaseException]] = field(default_factory=list)
    hung: list[str] = field(default_factory=list)

    def raise_errors(self) -> None:
        assert not self.hung, f"threads still running: {self.hung}"
        if self.errors:
            index, error = self.errors[0]
            raise AssertionError(f"{len(self.errors)} thread(s) failed; thread {index}: {error!r}") from error


def run_threads(count: int, work: Callable[[int], Any], *, timeout: float = 60) -> ThreadRun:
    """Run work(index) in `count` threads at once; collect return values and exceptions."""
    run = ThreadRun()
    lock = threading.Lock()

    def target(index: int) -> None:
        try:
            result = work(index)
            with lock:
                run.results[index] = result
        except BaseException as error:  # reported by the test, not swallowed
            with lock:
                run.errors.append((index, error))
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,), name=f"worker-{i}", daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    run.hung = [thread.name for thread in threads if thread.is_alive()]
    return run
