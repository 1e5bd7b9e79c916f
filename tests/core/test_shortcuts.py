import pytest
from django.http import Http404

from core.exceptions import NotFound
from core.shortcuts import get_or_404


def _selector(*, pk: int) -> str:
    if pk != 1:
        raise NotFound(f"Unknown thing {pk}.", details={"id": pk})
    return "thing"


def test_get_or_404_returns_what_the_selector_returns():
    assert get_or_404(_selector, pk=1) == "thing"


def test_get_or_404_turns_not_found_into_http404_with_its_message():
    with pytest.raises(Http404, match=r"Unknown thing 7\."):
        get_or_404(_selector, pk=7)
