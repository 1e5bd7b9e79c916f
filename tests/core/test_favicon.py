"""The site's icon: named by every page, /favicon.ico answered for the rest."""
import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_file_is_a_static_file():
    path = finders.find("favicon.svg")

    assert path is not None
    with open(path, encoding="utf-8") as handle:
        assert handle.read().lstrip().startswith("<svg")


def test_favicon_ico_redirects_to_the_icon_without_login(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


def test_favicon_named_by_site_pages(staff_client):
    login = Client().get("/accounts/login/").content.decode()
    dashboard = staff_client.get("/").content.decode()

    for page in (login, dashboard):
        assert 'rel="icon" href="/static/favicon.svg"' in page


def test_favicon_named_by_admin_pages(admin_client):
    login = Client().get("/admin/login/")
    index = admin_client.get("/admin/")

    for response in (login, index):
        assert response.status_code == 200
        page = response.content.decode()
        assert 'rel="icon" href="/static/favicon.svg"' in page
        assert 'id="site-name"' in page  # the rest of Django's base_site is kept
