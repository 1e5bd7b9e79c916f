"""Small helpers for views."""
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404

from core.exceptions import NotFound

T = TypeVar("T")


def get_or_404(selector: Callable[..., T], /, **lookup: Any) -> T:
    """What `selector(**lookup)` returns; its NotFound becomes Django's Http404 with the same
    message, so a page answers 404. The selector keeps the rules of what may be seen (e.g.
    only the user's own jobs); the API lets NotFound through to its own handler instead."""
    try:
        return selector(**lookup)
    except NotFound as exc:
        raise Http404(exc.message) from exc
