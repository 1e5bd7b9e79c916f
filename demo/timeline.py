"""The demo's past: a clock the services read while the demo is written, and a timeline that
plays many small stories (a variant's stock history, a sales order's life, a purchase order's)
interleaved, in the order of their times.

Nothing here writes a date by hand. While `demo_clock` is active, `django.utils.timezone.now`
answers the clock's time, so every service stamps what it writes with it: `auto_now_add`
fields, the ledger's movements, reservations and their expiry, order and purchase-order
events, receipts, `order_date` and `received_date`. The timeline only moves the clock forward,
so the ledger's rows are written in the order of their times and each level's movements read
the same way by time as by id (quantity before = the previous quantity after).

The clock is process-wide while it runs: it is meant for the seeding command (one thread),
never for a web process serving requests.
"""
import heapq
import itertools
import random
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

# A story is a generator: the code before its first `yield` runs at the time it was added
# with; each `yield` gives the time of its next step (a datetime, or a timedelta from now).
Story = Generator[datetime | timedelta, None, None]


class DemoClock:
    """The demo's "now". It moves only forward."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, at: datetime) -> None:
        if at > self.now:
            self.now = at


@contextmanager
def demo_clock(start: datetime) -> Iterator[DemoClock]:
    """Within the block, `timezone.now()` (and so `localdate()` and `auto_now_add`) answers
    the returned clock's time, starting at `start`."""
    clock = DemoClock(start)
    real = timezone.now
    timezone.now = clock
    try:
        yield clock
    finally:
        timezone.now = real


class Timeline:
    """Stories waiting for their next step, played in time order (ties: in the order added),
    never later than `end`.

    Each simulated day is one transaction: fast on SQLite, and the services' own atomic
    blocks nest inside it as savepoints.
    """

    def __init__(self, clock: DemoClock, *, end: datetime):
        self.clock = clock
        self.end = end
        self._queue: list[tuple[datetime, int, Story]] = []
        self._order = itertools.count()

    def add(self, at: datetime, story: Story) -> None:
        heapq.heappush(self._queue, (min(at, self.end), next(self._order), story))

    def once(self, at: datetime, step: Callable[[], object]) -> None:
        """A story of one step."""
        def story() -> Story:
            step()
            yield from ()
        self.add(at, story())

    def run(self) -> None:
        while self._queue:
            day = timezone.localdate(self._queue[0][0])
            with transaction.atomic():
                while self._queue and timezone.localdate(self._queue[0][0]) == day:
                    at, _, story = heapq.heappop(self._queue)
                    self.clock.move_to(at)
                    try:
                        step = next(story)
                    except StopIteration:
                        continue
                    when = self.clock.now + step if isinstance(step, timedelta) else step
                    self.add(max(when, self.clock.now), story)


OPENING_HOUR = 8
CLOSING_HOUR = 19


def day_start(day: date) -> datetime:
    """Midnight at the start of `day`, in the current time zone."""
    return datetime.combine(day, time(0, 0), tzinfo=timezone.get_current_timezone())


def business_time(rng: random.Random, low: datetime, high: datetime) -> datetime:
    """A moment during opening hours on a day between `low` and `high` (clamped to them)."""
    first, last = timezone.localdate(low), timezone.localdate(high)
    day = first + timedelta(days=rng.randint(0, max((last - first).days, 0)))
    minute = rng.randint(OPENING_HOUR * 60, CLOSING_HOUR * 60 - 1)
    moment = day_start(day) + timedelta(minutes=minute)
    return min(max(moment, low), high)


def random_duration(rng: random.Random, low_hours: float, high_hours: float) -> timedelta:
    """Between `low_hours` and `high_hours`, to the minute."""
    return timedelta(minutes=rng.randint(int(low_hours * 60), int(high_hours * 60)))
