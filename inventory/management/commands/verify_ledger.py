from django.core.management.base import BaseCommand, CommandError

from inventory.models import StockLevel
from inventory.services import ledger_verify


class Command(BaseCommand):
    help = "Check that every stock level equals the sum of its movements; exit non-zero on any mismatch."

    def handle(self, *args, **options):
        mismatches = ledger_verify()
        for mismatch in mismatches:
            self.stderr.write(f"MISMATCH {mismatch.describe()}")
        if mismatches:
            raise CommandError(f"{len(mismatches)} stock level(s) disagree with the ledger.")
        self.stdout.write(f"Ledger OK: {StockLevel.objects.count()} stock levels match their movements.")
