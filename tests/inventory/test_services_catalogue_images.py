import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exceptions import ValidationFailed
from inventory.services.images import image_check
from tests.inventory.catalogue_helpers import png_bytes, png_upload


def test_image_check_reads_a_png_and_makes_a_small_jpeg_thumbnail():
    checked = image_check(png_upload(width=640, height=320))
    assert checked.extension == "png" and (checked.width, checked.height) == (640, 320)
    from PIL import Image
    with Image.open(io.BytesIO(checked.thumbnail)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (160, 80)


def test_image_check_refuses_a_file_over_the_size_cap(settings):
    settings.IMAGE_MAX_MB = 1
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (1024 * 1024 + 10), content_type="image/png")
    with pytest.raises(ValidationFailed, match="larger than 1 MB") as caught:
        image_check(big, field="image")
    assert caught.value.field == "image"


def test_image_check_refuses_a_decompression_bomb(settings):
    settings.IMAGE_MAX_PIXELS = 10_000
    with pytest.raises(ValidationFailed, match=r"too many pixels \(200 × 100\): at most 10,000"):
        image_check(png_upload(width=200, height=100))


def test_image_check_refuses_a_bomb_past_pillows_own_limit():
    # A tiny PNG that declares 30000 × 30000 pixels: refused before a byte of it is decoded.
    from PIL import Image
    header = png_bytes(width=1, height=1)
    with Image.open(io.BytesIO(header)):
        pass
    big = io.BytesIO()
    Image.new("1", (30000, 30000)).save(big, format="PNG")
    with pytest.raises(ValidationFailed, match="too many pixels"):
        image_check(SimpleUploadedFile("bomb.png", big.getvalue(), content_type="image/png"))


@pytest.mark.parametrize("content", [b"", b"not an image at all", png_bytes()[:60]])
def test_image_check_refuses_what_is_not_an_image(content):
    with pytest.raises(ValidationFailed, match="not an image|empty"):
        image_check(SimpleUploadedFile("x.png", content, content_type="image/png"))


def test_image_check_refuses_formats_we_do_not_take():
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="BMP")
    with pytest.raises(ValidationFailed, match="JPEG, PNG, WebP or GIF"):
        image_check(SimpleUploadedFile("x.bmp", out.getvalue()))
