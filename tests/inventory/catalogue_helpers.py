"""Images for the catalogue tests, made with Pillow in memory."""
import io

from django.core.files.uploadedfile import SimpleUploadedFile


def png_bytes(width: int = 40, height: int = 30, colour=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def png_upload(name: str = "shirt.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")
