import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.api.helpers import token_client


@pytest.fixture
def api_client():
    """No credentials."""
    return APIClient()


@pytest.fixture
def staff_api(staff_user):
    return token_client(staff_user)


@pytest.fixture
def manager_api(manager_user):
    return token_client(manager_user)


@pytest.fixture
def customer_user(db):
    return factories.UserFactory(username="customer", role="Customer")


@pytest.fixture
def customer_api(customer_user):
    """Signed in, but the Customer role holds none of the stock permissions."""
    return token_client(customer_user)


@pytest.fixture
def admin_api(admin_user):
    return token_client(admin_user)


@pytest.fixture
def stripe_double(settings):
    """A local Stripe (tests/api/stripe_double.py) that the stripe package is pointed at."""
    from tests.api.stripe_double import StripeDouble

    with StripeDouble() as double:
        settings.STRIPE_SECRET_KEY = "sk_test_x"
        settings.STRIPE_API_BASE = double.base_url
        yield double
