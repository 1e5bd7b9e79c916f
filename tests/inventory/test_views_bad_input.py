import pytest
pytestmark = pytest.mark.django_db

@pytest.mark.parametrize("url", [
    "/inventory/?q=%00", "/inventory/?category=%00", "/inventory/?category=abc", "/inventory/?location=%00", "/inventory/?status=%00&sort=%00&page=%00",
    "/inventory/?page=99999", "/inventory/history/?sku=%00", "/inventory/history/?date_from=2020-13-45", "/inventory/history/?user=abc&type=%00",
    "/inventory/history/export.csv?sku=%00", "/inventory/variants/%00/", "/inventory/variants/NOPE/", "/inventory/levels/999999/row/",
    "/api/v1/stock/?sku=%00", "/api/v1/movements/?sku=%00&user=%00", "/api/v1/stock/?page=abc",
])
def test_pages_answer_bad_query_input_without_a_server_error(manager_client, stocked, url):
    stocked(3)
    r = manager_client.get(url)
    assert r.status_code < 500, (url, r.status_code)
