"""GET /api/v1/: a map of the API with absolute links, and the docs linked from the layout."""
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = "/api/v1/"


@pytest.mark.smoke
def test_api_root_lists_resources_with_absolute_links(staff_api):
    response = staff_api.get(ROOT)

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"resources", "docs", "schema"}
    resources = data["resources"]
    for key, path in [("stock", "/api/v1/stock/"), ("stock/adjust", "/api/v1/stock/adjust/"),
                      ("movements", "/api/v1/movements/"), ("purchase-orders", "/api/v1/purchase-orders/"),
                      ("orders", "/api/v1/orders/"), ("suppliers", "/api/v1/suppliers/")]:
        assert resources[key] == f"http://testserver{path}"
    # Only URLs without a parameter, and not the root's own links.
    assert all("<" not in url and url.startswith("http://testserver/api/v1/") for url in resources.values())
    assert "" not in resources and "docs" not in resources and "schema" not in resources
    assert data["docs"] == "http://testserver/api/v1/docs/"
    assert data["schema"] == "http://testserver/api/v1/schema/"


def test_api_root_links_resolve(staff_api):
    resources = staff_api.get(ROOT).json()["resources"]

    for url in resources.values():
        assert staff_api.get(url).status_code != 404, url


def test_api_root_with_a_browser_session(staff_client):
    response = staff_client.get(ROOT)

    assert response.status_code == 200
    assert response.json()["docs"].endswith("/api/v1/docs/")


def test_api_root_refuses_anonymous_and_customers(api_client, customer_api):
    assert api_client.get(ROOT).status_code == 401
    assert customer_api.get(ROOT).status_code == 403
    assert Client().get(ROOT).status_code in (401, 403)


def test_api_root_is_read_only(staff_api):
    assert staff_api.post(ROOT, {}, format="json").status_code == 405


def test_api_docs_linked_from_the_user_menu(staff_client, customer_user):
    page = staff_client.get("/").content.decode()
    assert 'href="/api/v1/docs/"' in page and "API docs" in page

    customer = Client()
    customer.force_login(customer_user)
    refused = customer.get("/")
    assert refused.status_code == 403
    assert 'href="/api/v1/docs/"' not in refused.content.decode()
