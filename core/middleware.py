from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session has expired gets a full-page redirect to the login
    page (HX-Redirect) instead of the login form swapped into part of the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code != 302:
            return response
        login_url = resolve_url(settings.LOGIN_URL)
        if not response.get("Location", "").startswith(login_url):
            return response
        next_url = request.htmx.current_url_abs_path or request.get_full_path()
        redirect = HttpResponse(status=204)
        redirect["HX-Redirect"] = f"{login_url}?{urlencode({'next': next_url})}"
        return redirect
