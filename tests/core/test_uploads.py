"""Upload caps: an upload over its page's limit is refused before its body is read (413),
a body without a declared length (chunked) is read no further than the cap, and reading
stops once the files pass the cap."""
import io
import json

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import (
    BOUNDARY,
    MULTIPART_CONTENT,
    AsyncClientHandler,
    ClientHandler,
    RequestFactory,
    encode_multipart,
)
from django.urls import reverse

from backups.models import RestoreRun
from core.uploads import MB, UploadLimitHandler, UploadTooLarge
from dataio.models import ImportJob
from inventory.models import StockMovement
from tests.api.helpers import api_token_from_command

pytestmark = pytest.mark.django_db

DECLARED = str(200 * MB)
# URL, its setting, who may use it.
UPLOADS = {
    "import page": ("dataio:import_list", "IMPORT_MAX_MB", "manager_user"),
    "import API": ("api:import_list", "IMPORT_MAX_MB", "manager_user"),
    "bulk update page": ("dataio:bulk_update", "BULK_UPDATE_MAX_MB", "manager_user"),
    "restore upload page": ("backups:restore_upload", "BACKUP_UPLOAD_MAX_MB", "admin_user"),
}


class CountingStream:
    """A request body that counts how much of it is read."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)
        self.size = len(data)
        self.read_bytes = 0

    def __len__(self) -> int:
        return self.size

    def read(self, size=-1, /) -> bytes:
        data = self._data.read(size)
        self.read_bytes += len(data)
        return data

    def readline(self, size=-1, /) -> bytes:
        data = self._data.readline(size)
        self.read_bytes += len(data)
        return data


def _form(file_bytes: int) -> dict:
    upload = SimpleUploadedFile("big.csv", b"sku,product,category,price\n" + b"x" * file_bytes, content_type="text/csv")
    return {"file": upload, "type": "products", "mode": "UPSERT", "action": "upload"}


def _multipart(file_bytes: int) -> bytes:
    return encode_multipart(BOUNDARY, _form(file_bytes))


def _nothing_stored() -> bool:
    return not ImportJob.objects.exists() and not RestoreRun.objects.exists() and not StockMovement.objects.exists()


@pytest.mark.parametrize("case", UPLOADS)
def test_upload_limit_middleware_refuses_a_declared_oversized_upload_before_reading_it(client, settings, request,
                                                                                        case):
    url_name, setting, user = UPLOADS[case]
    setattr(settings, setting, 1)
    client.force_login(request.getfixturevalue(user))
    # The test body is small: reading past it would fail the test, so this proves nothing is read.
    response = client.post(reverse(url_name), _form(100), CONTENT_LENGTH=DECLARED)

    assert response.status_code == 413
    message = "The file is larger than 1 MB, the most this upload accepts. Nothing was stored."
    if url_name.startswith("api:"):
        assert response.json() == {"detail": message}
    else:
        html = response.content.decode()
        assert message in html and "The file was not accepted" in html
    assert _nothing_stored()


def test_upload_limit_middleware_lets_an_upload_within_the_limit_through(manager_client, settings):
    settings.IMPORT_MAX_MB = 1
    upload = SimpleUploadedFile("products.csv", b"sku,product,category,price\nA-1,Tee,Shirts,9.50\n",
                                content_type="text/csv")

    response = manager_client.post(reverse("dataio:import_list"), {"file": upload, "type": "products",
                                                                   "mode": "UPSERT"})

    assert response.status_code == 302
    assert ImportJob.objects.get().original_name == "products.csv"


# --- at the WSGI interface ---------------------------------------------------------------

def _wsgi_post(path: str, stream: CountingStream, **environ):
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="POST", CONTENT_TYPE=MULTIPART_CONTENT,
                                             **{"wsgi.input": stream}, **environ)
    return ClientHandler(enforce_csrf_checks=False)(environ)


def test_upload_limit_middleware_wsgi_oversized_content_length_reads_no_byte(settings):
    settings.IMPORT_MAX_MB = 1
    stream = CountingStream(_multipart(3 * MB))

    response = _wsgi_post(reverse("dataio:import_list"), stream, CONTENT_LENGTH=str(stream.size))

    assert response.status_code == 413
    assert stream.read_bytes == 0
    assert _nothing_stored()


@pytest.mark.parametrize("url_name", ["api:import_list", "dataio:import_list"])
def test_upload_limit_middleware_wsgi_chunked_upload_over_the_cap_stops_reading_there(settings, url_name):
    settings.IMPORT_MAX_MB = 1
    stream = CountingStream(_multipart(3 * MB))

    # A chunked body declares no length: the server hands it over as it comes.
    response = _wsgi_post(reverse(url_name), stream, HTTP_TRANSFER_ENCODING="chunked",
                          **{"wsgi.input_terminated": True})

    assert response.status_code == 413
    if url_name.startswith("api:"):
        assert json.loads(response.content)["detail"] == \
            "The file is larger than 1 MB, the most this upload accepts. Nothing was stored."
    assert stream.read_bytes <= 1 * MB + 64 * 1024 + 1
    assert _nothing_stored()


def test_upload_limit_middleware_wsgi_chunked_upload_without_a_terminated_input_is_411_unread(settings):
    settings.IMPORT_MAX_MB = 1
    stream = CountingStream(_multipart(3 * MB))

    # A server that cannot tell where a chunked body ends hands over the raw stream.
    response = _wsgi_post(reverse("api:import_list"), stream, HTTP_TRANSFER_ENCODING="chunked")

    assert response.status_code == 411
    detail = json.loads(response.content)["detail"]
    assert "Content-Length" in detail and "at most 1 MB" in detail
    assert stream.read_bytes == 0
    assert _nothing_stored()


def test_upload_limit_middleware_wsgi_chunked_upload_within_the_cap_is_imported(settings, manager_user):
    settings.IMPORT_MAX_MB = 1
    token = api_token_from_command(manager_user.username)
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("products.csv",
                                                                  b"sku,product,category,price\nA-1,Tee,Shirts,9.50\n",
                                                                  content_type="text/csv"),
                                       "type": "products"})
    stream = CountingStream(body)

    response = _wsgi_post(reverse("api:import_list"), stream, HTTP_TRANSFER_ENCODING="chunked",
                          HTTP_AUTHORIZATION=f"Token {token}", **{"wsgi.input_terminated": True})

    assert response.status_code == 201, response.content
    assert stream.read_bytes == stream.size
    job = ImportJob.objects.get()
    assert (job.original_name, job.row_count) == ("products.csv", 1)


# --- the upload handler: whatever the request declared -----------------------------------------

def test_upload_limit_handler_stops_reading_past_the_cap():
    body = _multipart(2 * MB)
    stream = CountingStream(body)
    request = RequestFactory().generic("POST", "/data/imports/", body, content_type=MULTIPART_CONTENT,
                                       **{"wsgi.input": stream})
    handler = UploadLimitHandler(request, limit_mb=1)
    request.upload_handlers.insert(0, handler)

    with pytest.raises(UploadTooLarge) as caught:
        request.POST  # noqa: B018

    assert caught.value.status_code == 413 and "larger than 1 MB" in caught.value.message
    assert handler.refused and stream.read_bytes < 1.5 * MB < stream.size  # the rest was never read


def _asgi_post(path: str, body: bytes, *, declared: int, headers=()):
    stream = CountingStream(body)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "path": path,
        "raw_path": path.encode(), "root_path": "", "scheme": "http", "query_string": b"",
        "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"testserver"), (b"content-type", MULTIPART_CONTENT.encode()),
                    (b"content-length", str(declared).encode()), *headers],
        "_body_file": stream,
    }
    return async_to_sync(AsyncClientHandler(enforce_csrf_checks=False))(scope), stream


def test_upload_limit_handler_refuses_a_page_upload_longer_than_it_declared(settings):
    settings.IMPORT_MAX_MB = 1

    response, stream = _asgi_post(reverse("dataio:import_list"), _multipart(3 * MB), declared=1000)

    assert response.status_code == 413
    assert "The file is larger than 1 MB" in response.content.decode()
    assert stream.read_bytes < 2 * MB
    assert _nothing_stored()


def test_upload_limit_handler_refuses_an_api_upload_longer_than_it_declared(settings, manager_user):
    settings.IMPORT_MAX_MB = 1
    token = api_token_from_command(manager_user.username)

    response, stream = _asgi_post(reverse("api:import_list"), _multipart(3 * MB), declared=1000,
                                  headers=[(b"authorization", f"Token {token}".encode())])

    assert response.status_code == 413
    assert json.loads(response.content) == {"detail": "The file is larger than 1 MB, the most this upload accepts. "
                                                      "Nothing was stored."}
    assert stream.read_bytes < 2 * MB
    assert _nothing_stored()


def test_bulk_update_upload_form_follows_its_setting(manager_client, settings):
    settings.BULK_UPDATE_MAX_MB = 0
    upload = SimpleUploadedFile("counts.csv", b"sku,quantity_change,reason\nA-1,2,Found\n", content_type="text/csv")

    response = manager_client.post(reverse("dataio:bulk_update"), {"action": "upload", "file": upload})

    assert response.status_code == 400
    assert "The file is too large: at most 0 MB." in response.content.decode()
    assert not StockMovement.objects.exists()
