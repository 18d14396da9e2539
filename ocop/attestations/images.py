"""A screenshot someone uploads as evidence: decoded to prove it is an image, then re-encoded
from its pixels alone, so nothing of the file as sent (EXIF and its GPS position, comments,
colour profiles, trailing bytes, a script disguised as a picture) is ever stored or served.

Follows Pillow 12 / 13's reference (`PIL.Image.open` with `formats=`, `Image.size` read from the
header before any pixel is decoded, `DecompressionBombWarning`/`DecompressionBombError`,
`ImageOps.exif_transpose`): the size cap is checked on the bytes before decoding, the pixel cap
on the header's dimensions before the pixels are loaded.
"""

import io
import warnings
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps

from ..errors import Invalid

# The formats accepted (Pillow's names) and the media type each is served with.
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class Cleaned:
    """An image ready to store: its bytes, re-encoded, and their media type."""

    data: bytes
    media_type: str


def read_capped(stream, field: str = "image") -> bytes:
    """The upload's bytes, refused past OCOP_ATTESTATION_MAX_BYTES without reading further."""
    cap = int(current_app.config["ATTESTATION_MAX_BYTES"])
    data = stream.read(cap + 1) if stream is not None else b""
    if not data:
        raise Invalid.one(field, _("Hãy chọn ảnh chụp màn hình cho thấy sản phẩm đang bán."))
    if len(data) > cap:
        raise Invalid.one(field, _("Ảnh quá lớn: tối đa %(mb)s MB.", mb=_megabytes(cap)))
    return data


def clean(data: bytes, field: str = "image") -> Cleaned:
    """`data` decoded as a JPEG, PNG or WebP image and re-encoded in the same format, upright,
    without metadata; anything else is refused with the reason."""
    max_pixels = int(current_app.config["ATTESTATION_MAX_PIXELS"])
    too_big = Invalid.one(field, _("Ảnh quá lớn: tối đa %(mp)s triệu điểm ảnh.",
                                   mp=_megapixels(max_pixels)))
    not_image = Invalid.one(field, _("Tệp này không phải ảnh JPEG, PNG hay WebP đọc được; hãy "
                                     "tải lên ảnh chụp màn hình."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(MEDIA_TYPES)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise too_big
                image.load()
                upright = ImageOps.exif_transpose(image)
                kind = image.format
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_big from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise not_image from None
    return Cleaned(_encode(upright, kind), MEDIA_TYPES[kind])


def _encode(image: Image.Image, kind: str) -> bytes:
    """The pixels of `image` alone, in `kind`: a fresh image carries no `info` to copy."""
    alpha = kind != "JPEG" and (image.mode in ("RGBA", "LA", "PA")
                                or "transparency" in image.info)
    pixels = image.convert("RGBA" if alpha else "RGB")
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if kind == "JPEG":
        bare.save(out, "JPEG", quality=85, optimize=True)
    elif kind == "PNG":
        bare.save(out, "PNG", optimize=True)
    else:
        bare.save(out, "WEBP", quality=85)
    return out.getvalue()


def _megabytes(size: int) -> str:
    return f"{size / 2**20:g}"


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:g}"
