from django.core.management.base import BaseCommand, CommandError

from demo.services import DEMO_SEED, demo_seed


class Command(BaseCommand):
    help = "Load the demo shop (locations, categories, products with variants, stock history). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=200, help="How many products to create (default 200).")
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help="Random seed; the same seed gives the same data.")

    def handle(self, *args, **options):
        if options["products"] < 1:
            raise CommandError("--products must be at least 1.")
        result = demo_seed(products=options["products"], seed=options["seed"])
        if not result.created:
            self.stdout.write("Demo data already present: nothing to do.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded: {result.products} products, {result.variants} variants, "
            f"{result.levels} stock levels ({result.low} low, {result.out} out of stock), "
            f"{result.movements} movements, {result.orders} sales orders, "
            f"{result.suppliers} suppliers, {result.purchase_orders} purchase orders."
        ))
