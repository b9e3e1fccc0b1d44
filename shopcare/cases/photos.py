"""Shoppers' photos: recognised by their content, re-encoded without any metadata,
stored outside ``static/`` under an unguessable name.

A file is accepted only if Pillow recognises it as JPEG, PNG or WebP from its bytes
(a name or a browser's content type proves nothing), it is at most
``SHOPCARE_CASE_PHOTO_MAX_BYTES`` and ``SHOPCARE_CASE_PHOTO_MAX_PIXELS``, and it decodes
completely. It is then turned upright (EXIF orientation) and saved from its pixels
only, so no EXIF (GPS, camera, time), XMP, ICC or text chunk survives.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from shopcare.core.config import setting
from shopcare.core.errors import ValidationError
from shopcare.core.i18n import _

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: its new bytes and what they are."""

    data: bytes
    content_type: str
    width: int
    height: int


def read_upload(upload: Any) -> bytes:
    """The bytes of a photo given as ``bytes``, a file object or a Werkzeug ``FileStorage``
    (read at most one byte past the limit)."""
    limit = int(setting("SHOPCARE_CASE_PHOTO_MAX_BYTES"))
    if isinstance(upload, bytes | bytearray):
        return bytes(upload)
    stream = getattr(upload, "stream", upload)
    if not hasattr(stream, "read"):
        raise ValidationError("photos", _("Attach an image file."))
    return bytes(stream.read(limit + 1))


def clean(data: bytes, field: str = "photos") -> CleanPhoto:
    """Check and re-encode one photo.

    :raises ValidationError: naming ``field``, with a message for the shopper.
    """
    limit = int(setting("SHOPCARE_CASE_PHOTO_MAX_BYTES"))
    if len(data) > limit:
        raise ValidationError(
            field, _("The photo is larger than %(mb)d MB.", mb=limit // (1024 * 1024))
        )
    if not data:
        raise ValidationError(field, _("The file is empty."))
    max_pixels = int(setting("SHOPCARE_CASE_PHOTO_MAX_PIXELS"))
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, past its own bomb limit: refuse either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if image.width * image.height > max_pixels:
                raise ValidationError(
                    field,
                    _("The photo has more than %(mp)d megapixels.", mp=max_pixels // 1_000_000),
                )
            content_type = FORMATS[str(image.format)]
            image.load()
            upright = ImageOps.exif_transpose(image) or image
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            field, _("The photo has more than %(mp)d megapixels.", mp=max_pixels // 1_000_000)
        ) from None
    except (UnidentifiedImageError, KeyError):
        raise ValidationError(field, _("Only JPEG, PNG or WebP photos are accepted.")) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(field, _("The photo is damaged or incomplete.")) from None
    return CleanPhoto(_encode(upright, content_type), content_type, upright.width, upright.height)


def _encode(image: Image.Image, content_type: str) -> bytes:
    if content_type == "image/jpeg":
        mode = "RGB" if image.mode not in ("L",) else "L"
    else:
        mode = image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else "RGBA"
    converted = image.convert(mode) if image.mode != mode else image
    # A new image from the pixels alone: nothing of the original's info travels.
    pixels = Image.frombytes(mode, converted.size, converted.tobytes())
    out = io.BytesIO()
    if content_type == "image/jpeg":
        pixels.save(out, "JPEG", quality=88, optimize=True)
    elif content_type == "image/png":
        pixels.save(out, "PNG", optimize=True)
    else:
        pixels.save(out, "WEBP", quality=88)
    return out.getvalue()


def folder() -> Path:
    """Where photos are stored (created on first use)."""
    configured = setting("SHOPCARE_CASE_PHOTO_DIR")
    path = (
        Path(configured) if configured else Path(current_app.instance_path) / "shopcare-case-photos"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_token() -> str:
    return secrets.token_urlsafe(32)


def path_for(token: str, content_type: str) -> Path:
    return folder() / f"{token}.{EXTENSIONS[content_type]}"


_PENDING = "shopcare_case_photos_pending"


def store(token: str, photo: CleanPhoto, db: Session | None = None) -> Path:
    """Write the photo under its final, unguessable name. With ``db``, the file is removed
    again if that session's transaction rolls back (kept once it commits)."""
    path = path_for(token, photo.content_type)
    path.write_bytes(photo.data)
    if db is not None:
        db.info.setdefault(_PENDING, []).append(path)
    return path


_DOOMED = "shopcare_case_photos_doomed"


def discard(token: str, content_type: str, db: Session) -> None:
    """Delete a stored photo's file once ``db``'s transaction commits (kept if it rolls
    back, so that a failed erasure leaves the case as it was)."""
    db.info.setdefault(_DOOMED, []).append(path_for(token, content_type))


@event.listens_for(Session, "after_commit")
def _keep_stored(db: Session) -> None:
    db.info.pop(_PENDING, None)
    for path in db.info.pop(_DOOMED, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_rollback")
def _remove_stored(db: Session) -> None:
    for path in db.info.pop(_PENDING, []):
        path.unlink(missing_ok=True)
    db.info.pop(_DOOMED, None)
