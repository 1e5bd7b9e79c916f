"""Static files as production serves them (collected, hashed names, WhiteNoise): the files
are served, the manifest of hashed names (staticfiles.json) is not."""
import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import override_settings

MANIFEST_URL = "/static/staticfiles.json"


def _production(root) -> dict:
    return {
        "STATIC_ROOT": root,
        "STATICFILES_FINDERS": ["django.contrib.staticfiles.finders.FileSystemFinder"],
        "STORAGES": {**django_settings.STORAGES,
                     "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}},
        "WHITENOISE_USE_FINDERS": False,
    }


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """The project's static files (its own and the front-end packages the pages use) collected
    once into a folder of these tests' own, with the production storage (hashed names,
    compressed copies and the manifest)."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(**_production(root)):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (root / "staticfiles.json").is_file()
    return root


@pytest.mark.parametrize("autorefresh", [False, True], ids=["production", "autorefresh"])
def test_static_files_middleware_serves_files_but_not_the_manifest(client, collected, settings, autorefresh):
    for name, value in _production(collected).items():
        setattr(settings, name, value)
    settings.WHITENOISE_AUTOREFRESH = autorefresh  # read when the client's first request loads the middleware
    hashed_url = staticfiles_storage.url("css/app.css")

    manifest = client.get(MANIFEST_URL)
    compressed = [client.get(MANIFEST_URL + suffix) for suffix in (".gz", ".br")]
    plain = client.get("/static/css/app.css")
    hashed = client.get(hashed_url)

    assert manifest.status_code == 404
    assert [response.status_code for response in compressed] == [404, 404]
    assert hashed_url != "/static/css/app.css"  # the name with its hash
    for response in (plain, hashed):
        assert response.status_code == 200 and b"".join(response.streaming_content)
