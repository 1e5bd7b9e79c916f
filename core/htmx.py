"""One view serves a page and its htmx fragment (STYLE.md, "Views and htmx")."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def fragment_requested(request: HttpRequest) -> bool:
    """An htmx request for part of the page (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page_or_fragment(request: HttpRequest, template: str, fragment: str, context: dict) -> HttpResponse:
    """The whole page, or for an htmx request its `{% partialdef fragment %}`; the answer
    varies on HX-Request so that caches keep the two apart."""
    name = f"{template}#{fragment}" if fragment_requested(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
