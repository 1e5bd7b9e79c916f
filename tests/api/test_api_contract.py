"""The API against its own schema: every operation, as an Admin and as a Staff token.

Schemathesis reads `/api/v1/schema/` from the WSGI app in-process and sends generated
requests (valid and invalid) to every operation, with all of its checks on: no 5xx, only
documented status codes and content types, responses that match their schema, invalid
requests refused, valid ones accepted, auth not ignored. A new endpoint is covered the day
it is added. Bounded: a few examples per operation, a fixed seed.
"""
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests import factories
from tests.api.helpers import api_token_from_command

pytestmark = pytest.mark.django_db

schema = schemathesis.pytest.from_fixture("api_schema")

# A deeper run for a developer: API_CONTRACT_EXAMPLES=50 pytest tests/api/test_api_contract.py
CONTRACT_SETTINGS = settings(
    max_examples=int(os.environ.get("API_CONTRACT_EXAMPLES", "3")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def catalogue(default_location, other_location, stocked):
    """Something for every operation to find: stock, a supplier with an item, a draft PO."""
    level = stocked(40)
    supplier = factories.SupplierFactory()
    factories.SupplierItemFactory(supplier=supplier, variant=level.variant)
    return level


@pytest.fixture(params=["Admin", "Staff"])
def api_token(request, db, catalogue):
    user = factories.UserFactory(username=f"contract-{request.param.lower()}", role=request.param)
    return api_token_from_command(user.username)


@pytest.fixture
def wsgi_app(db):
    """The project's WSGI app on the test's own connection (as Django's test client keeps it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app, api_token):
    return schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", wsgi_app, headers={"Authorization": f"Token {api_token}"}
    )


@schema.parametrize()
@CONTRACT_SETTINGS
def test_api_matches_its_schema(case, api_token):
    case.call_and_validate(headers={"Authorization": f"Token {api_token}"})
