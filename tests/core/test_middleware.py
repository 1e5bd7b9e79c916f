import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_htmx_request_without_session_gets_a_full_page_redirect_to_login(client):
    response = client.get(reverse("inventory:stock_list"), HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://testserver/inventory/?q=tee")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Finventory%2F%3Fq%3Dtee"


def test_plain_request_without_session_is_redirected_to_login(client):
    response = client.get(reverse("inventory:stock_list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
