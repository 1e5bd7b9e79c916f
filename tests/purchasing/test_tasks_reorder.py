import pytest
from django.conf import settings

from purchasing.models import PurchaseOrder, ReorderRule
from purchasing.tasks import reorder_rules_run_task
from tests import factories

pytestmark = pytest.mark.django_db


def test_reorder_rules_run_task_run_twice_drafts_once(stocked):
    level = stocked(1)
    factories.SupplierItemFactory(variant=level.variant, preferred=True)
    ReorderRule.objects.create(variant=level.variant, min_quantity=4, max_quantity=12)

    assert reorder_rules_run_task.delay().get() == 1
    assert reorder_rules_run_task.delay().get() == 0

    order = PurchaseOrder.objects.get()
    assert order.auto_drafted is True
    assert order.lines.get().quantity_ordered == 11


def test_beat_schedules_the_nightly_rules_and_the_daily_digest():
    tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    rules = tasks["purchasing.tasks.reorder_rules_run_task"]
    digest = tasks["purchasing.tasks.low_stock_digest_task"]
    assert (rules.hour, rules.minute) == ({2}, {0})
    assert (digest.hour, digest.minute) == ({7}, {0})
