import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_login_page_renders_form_with_csrf(client):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Log in to Stockroom" in text
    assert 'name="csrfmiddlewaretoken"' in text
    assert 'name="username"' in text and 'name="password"' in text
    assert "Log out" not in text  # no navigation for anonymous visitors


def test_login_page_wrong_password_shows_error(client, staff_user):
    response = client.post(reverse("accounts:login"), {"username": "staff", "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_forbidden_page_explains_the_role(staff_client, stocked):
    level = stocked(3)

    response = staff_client.get(reverse("inventory:stock_transfer", kwargs={"sku": level.variant.sku}))

    assert response.status_code == 403
    text = response.content.decode()
    assert "You are not allowed to do this" in text
    assert "(Staff)" in text


def test_not_found_page_is_rendered_for_unknown_sku(staff_client, db):
    response = staff_client.get(reverse("inventory:variant_detail", kwargs={"sku": "NO-SUCH-SKU"}))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
