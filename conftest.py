import pytest

from tests import factories, ledger_guard


@pytest.fixture(autouse=True)
def _only_the_ledger_writes_stock():
    """Every test: no code outside inventory.ledger wrote a stock level or movement (tests.ledger_guard)."""
    ledger_guard.install()
    ledger_guard.take_violations()
    yield
    violations = ledger_guard.take_violations()
    assert not violations, "stock tables written outside inventory.ledger:\n" + "\n".join(violations)


@pytest.fixture
def default_location(db):
    return factories.LocationFactory(code="main", name="Main warehouse", is_default=True)


@pytest.fixture
def other_location(db):
    return factories.LocationFactory(code="store", name="Shop floor")


@pytest.fixture
def variant(db):
    return factories.VariantFactory()


@pytest.fixture
def stocked(db, default_location):
    """Make a variant with `on_hand` units at a location, written through the ledger."""
    from inventory.services import stock_adjust

    def make(on_hand: int = 10, *, location=None, variant=None, threshold=None):
        variant = variant or factories.VariantFactory()
        location = location or default_location
        if on_hand:
            change = stock_adjust(variant=variant, location=location, quantity=on_hand, type="RESTOCK", reason="Opening stock")
            level = change.level
        else:
            from inventory.services import stock_level_ensure

            level = stock_level_ensure(variant=variant, location=location)
        if threshold is not None:
            level.low_stock_threshold = threshold
            level.save(update_fields=["low_stock_threshold"])
        level.refresh_from_db()
        return level

    return make


def _user(role):
    return factories.UserFactory(username=role.lower(), role=role)


@pytest.fixture
def admin_user(db):
    return _user("Admin")


@pytest.fixture
def manager_user(db):
    return _user("Manager")


@pytest.fixture
def staff_user(db):
    return _user("Staff")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def manager_client(client, manager_user):
    client.force_login(manager_user)
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
