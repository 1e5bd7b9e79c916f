import pytest

from inventory.selectors import stock_available_for_cart
from inventory.services import ReservationLineRequest, reservation_create
from tests import factories

pytestmark = pytest.mark.django_db


def _hold(level, quantity: int) -> None:
    reservation_create(reference="cart", lines=[
        ReservationLineRequest(variant=level.variant, quantity=quantity, location=level.location),
    ])


def test_stock_available_for_cart_answers_every_line_in_one_query(stocked, other_location, django_assert_num_queries):
    a, b, c = stocked(10), stocked(4), stocked(7)
    a_store = stocked(6, location=other_location, variant=a.variant)
    _hold(a, 3)
    _hold(c, 7)
    lines = [(a.variant, a.location), (b.variant, b.location), (c.variant, c.location), (a.variant, other_location)]

    with django_assert_num_queries(1):
        available = stock_available_for_cart(lines=lines)

    assert available == {
        (a.variant.pk, a.location.pk): 7,  # on_hand 10 - reserved 3
        (b.variant.pk, b.location.pk): 4,
        (c.variant.pk, c.location.pk): 0,  # all of it reserved
        (a.variant.pk, a_store.location.pk): 6,
    }


def test_stock_available_for_cart_one_query_whatever_the_cart_size(stocked, django_assert_num_queries):
    levels = [stocked(n) for n in range(1, 21)]
    lines = [(level.variant, level.location) for level in levels]

    with django_assert_num_queries(1):
        available = stock_available_for_cart(lines=lines)

    assert [available[(level.variant.pk, level.location.pk)] for level in levels] == list(range(1, 21))


def test_stock_available_for_cart_missing_level_is_zero(stocked, default_location, other_location):
    level = stocked(5)
    unstocked = factories.VariantFactory()

    available = stock_available_for_cart(lines=[
        (unstocked, default_location),  # no level anywhere
        (level.variant, other_location),  # a level elsewhere, none here
    ])

    assert available == {(unstocked.pk, default_location.pk): 0, (level.variant.pk, other_location.pk): 0}


def test_stock_available_for_cart_repeated_pair_is_answered_once(stocked):
    level = stocked(5)

    available = stock_available_for_cart(lines=[(level.variant, level.location), (level.variant, level.location)])

    assert available == {(level.variant.pk, level.location.pk): 5}


def test_stock_available_for_cart_does_not_judge_the_location(stocked, other_location):
    # As before the selector: an inactive location's level answers its figures; the API
    # refuses a line naming an inactive location before it asks (test_api_cart).
    level = stocked(5, location=other_location)
    other_location.active = False
    other_location.save(update_fields=["active"])

    assert stock_available_for_cart(lines=[(level.variant, other_location)]) == {
        (level.variant.pk, other_location.pk): 5,
    }


def test_stock_available_for_cart_empty_cart_sends_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert stock_available_for_cart(lines=[]) == {}
