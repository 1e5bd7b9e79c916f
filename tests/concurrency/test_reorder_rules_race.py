"""The nightly min/max run delivered twice at once (a redelivered task) drafts once."""
import threading

import pytest
from django.db import connection

from purchasing.models import PurchaseOrder, PurchaseOrderLine, ReorderRule
from purchasing.services import reorder_rules_run
from tests import factories
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=[*CONCURRENCY_APPS, "purchasing", "core"]),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]


def test_reorder_rules_run_four_runs_at_once_draft_the_shortfall_once(stocked, default_location):
    level = stocked(3)
    factories.SupplierItemFactory(variant=level.variant, preferred=True, minimum_order_quantity=1)
    ReorderRule.objects.create(variant=level.variant, min_quantity=5, max_quantity=40)
    threads = 4
    barrier = threading.Barrier(threads)

    def run(index: int) -> int:
        barrier.wait()
        return len(reorder_rules_run().orders)

    run_threads(threads, run).raise_errors()

    assert PurchaseOrder.objects.count() == 1
    line = PurchaseOrderLine.objects.get()
    assert line.variant_id == level.variant_id
    assert line.quantity_ordered == 37  # max 40 - 3 available, drafted once
