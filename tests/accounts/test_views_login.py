import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_login_view_signs_in_with_the_right_password(client, staff_user):
    response = client.post(reverse("accounts:login"), {"username": "staff", "password": "pass-word-123"})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_login_view_locks_out_after_repeated_failures(client, staff_user):
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "staff", "password": "wrong"})
        assert response.status_code == 200  # the form again, with an error
    assert client.post(url, {"username": "staff", "password": "wrong"}).status_code == 429
    locked = client.post(url, {"username": "staff", "password": "pass-word-123"})
    assert locked.status_code == 429
    assert b"locked" in locked.content.lower()
    assert "_auth_user_id" not in client.session


def test_login_view_lockout_is_per_address(client, staff_user):
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "staff", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    other = client.post(url, {"username": "staff", "password": "pass-word-123"}, REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 302


def test_logout_view_requires_post_and_signs_out(staff_client):
    assert staff_client.get(reverse("accounts:logout")).status_code == 405
    response = staff_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert staff_client.get(reverse("core:dashboard")).status_code == 302
