"""Product and variant images: checked with Pillow, stored through Django's default storage,
each with a small thumbnail for lists.

An upload is refused (ValidationFailed naming the field) when it is larger than
IMAGE_MAX_MB, is not a JPEG, PNG, WebP or GIF picture Pillow can read, or has more pixels
than IMAGE_MAX_PIXELS (a decompression bomb: a small file that unpacks to gigabytes).
Nothing is stored for a refused upload. Files replaced or left behind by a deleted record
are removed once the transaction has committed.
"""
import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from core.exceptions import ValidationFailed

MB = 1024 * 1024
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
THUMBNAIL_SIZE = (160, 160)


@dataclass(frozen=True)
class CheckedImage:
    """An upload Pillow has read in full: its bytes, extension and a JPEG thumbnail."""

    content: bytes
    extension: str
    thumbnail: bytes
    width: int
    height: int


def _limits() -> tuple[int, int]:
    return settings.IMAGE_MAX_MB, settings.IMAGE_MAX_PIXELS


def image_check(upload, *, field: str = "image") -> CheckedImage:
    """Read and verify an uploaded image (a Django UploadedFile or any file object)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    max_mb, max_pixels = _limits()
    size = getattr(upload, "size", None)
    if size is not None and size > max_mb * MB:
        raise ValidationFailed(f"The image is larger than {max_mb} MB: upload a smaller file.", field=field)
    upload.seek(0)
    content = upload.read(max_mb * MB + 1)
    if len(content) > max_mb * MB:
        raise ValidationFailed(f"The image is larger than {max_mb} MB: upload a smaller file.", field=field)
    if not content:
        raise ValidationFailed("The image file is empty.", field=field)
    not_an_image = ValidationFailed("The file is not an image we can read: upload a JPEG, PNG, WebP or GIF picture.",
                                    field=field)
    too_many_pixels = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                image_format = probe.format
                width, height = probe.size
                if width * height > max_pixels:
                    too_many_pixels = (width, height)
                else:
                    probe.verify()
            if too_many_pixels is None:
                # verify() leaves the image unusable: open again and decode every pixel.
                with Image.open(io.BytesIO(content)) as image:
                    image.load()
                    picture = ImageOps.exif_transpose(image)
                    if picture.mode not in ("RGB", "L"):
                        background = Image.new("RGB", picture.size, (255, 255, 255))
                        rgba = picture.convert("RGBA")
                        background.paste(rgba, mask=rgba.getchannel("A"))
                        picture = background
                    picture = picture.convert("RGB")
                    picture.thumbnail(THUMBNAIL_SIZE)
                    out = io.BytesIO()
                    picture.save(out, format="JPEG", quality=82)
                    thumbnail = out.getvalue()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        too_many_pixels = too_many_pixels or (0, 0)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    if too_many_pixels is not None:
        size = f" ({too_many_pixels[0]:,} × {too_many_pixels[1]:,})" if any(too_many_pixels) else ""
        raise ValidationFailed(
            f"The image has too many pixels{size}: at most {max_pixels:,} are taken. Upload a smaller picture.",
            field=field)
    if image_format not in FORMATS:
        raise not_an_image
    return CheckedImage(content=content, extension=FORMATS[image_format], thumbnail=thumbnail,
                        width=width, height=height)


def files_delete_on_commit(*names: str) -> None:
    """Remove stored files once the transaction commits (never for a rolled-back change)."""
    names = [name for name in names if name]

    def remove():
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                pass

    if names:
        transaction.on_commit(remove)


class NewFiles:
    """The files a change writes, removed again when the change fails:

        with NewFiles() as new_files, transaction.atomic():
            image_store(obj=product, checked=checked, folder="products", new_files=new_files)
    """

    def __init__(self):
        self.names: list[str] = []

    def __enter__(self) -> "NewFiles":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            for name in self.names:
                try:
                    default_storage.delete(name)
                except OSError:
                    pass
        return False


def image_store(*, obj, checked: CheckedImage, folder: str, new_files: NewFiles) -> None:
    """Write the image and its thumbnail to storage and point `obj.image`/`obj.thumbnail` at
    them (the caller saves `obj`); the files they replace are removed after commit."""
    files_delete_on_commit(obj.image, obj.thumbnail)
    stem = uuid.uuid4().hex
    image_name = default_storage.save(f"{folder}/{stem}.{checked.extension}", ContentFile(checked.content))
    new_files.names.append(image_name)
    thumb_name = default_storage.save(f"{folder}/thumbs/{stem}.jpg", ContentFile(checked.thumbnail))
    new_files.names.append(thumb_name)
    obj.image = image_name
    obj.thumbnail = thumb_name


def image_clear(*, obj) -> bool:
    """Take the image off `obj` (the caller saves it); the files go after commit."""
    if not obj.image and not obj.thumbnail:
        return False
    files_delete_on_commit(obj.image, obj.thumbnail)
    obj.image = ""
    obj.thumbnail = ""
    return True
