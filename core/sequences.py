"""Race-free document numbers."""
from django.db import transaction
from django.db.models import F

from core.models import Sequence


def sequence_next(*, name: str) -> int:
    """Take the next number of the named sequence.

    Call inside the transaction that uses the number: the counter row stays locked until
    it commits, and a rollback gives the number back, so numbers have no gaps.
    """
    with transaction.atomic():
        Sequence.objects.bulk_create([Sequence(name=name, value=0)], ignore_conflicts=True)
        Sequence.objects.filter(name=name).update(value=F("value") + 1)
        return Sequence.objects.values_list("value", flat=True).get(name=name)
