from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory.models import Category, Location, Product, StockLevel, Variant
from suppliers.models import Supplier, SupplierItem


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        self.groups.add(Group.objects.get(name=extracted))
        if extracted == "Admin":
            self.is_staff = True
            self.is_superuser = True
        self.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("19.99")
    cost = Decimal("8.50")


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    attributes = factory.LazyFunction(lambda: {"size": "M", "colour": "Blue"})
    barcode = factory.Sequence(lambda n: f"400{n:010d}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"loc-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())


class StockLevelFactory(factory.django.DjangoModelFactory):
    """An empty level. Put stock on it through the services (see the `stocked` fixture)."""

    class Meta:
        model = StockLevel

    variant = factory.SubFactory(VariantFactory)
    location = factory.SubFactory(LocationFactory)


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n}")


class SupplierItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierItem

    supplier = factory.SubFactory(SupplierFactory)
    variant = factory.SubFactory(VariantFactory)
    supplier_sku = factory.Sequence(lambda n: f"SUP-{n:05d}")
    unit_cost = Decimal("4.00")
    lead_time_days = 7
    minimum_order_quantity = 1
    preferred = False
