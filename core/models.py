from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Sequence(models.Model):
    """A named counter for document numbers (SO-000001, PO-000001).

    The row is locked while a number is taken, so numbers are unique and gapless even
    when many orders are created at once; see core.sequences.sequence_next.
    """

    name = models.CharField(max_length=32, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
