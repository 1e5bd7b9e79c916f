from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from whitenoise.middleware import WhiteNoiseMiddleware


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


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise serving the collected files, but not the manifest that maps every name to
    its hashed name (staticfiles.json): it lists the whole tree and is for the storage only."""

    @cached_property
    def manifest_url(self) -> str:
        from django.contrib.staticfiles.storage import staticfiles_storage

        # A storage without a manifest (DEBUG) still hides one left in STATIC_ROOT.
        name = getattr(staticfiles_storage, "manifest_name", None) or "staticfiles.json"
        return self.static_prefix + name.lstrip("/")

    def add_file_to_dictionary(self, url, path, stat_cache=None):
        if url == self.manifest_url:
            return
        super().add_file_to_dictionary(url, path, stat_cache=stat_cache)

    def find_file(self, url):
        if url == self.manifest_url:
            return None
        return super().find_file(url)
