"""The demo's attestation: the officer saw, in a browser of their own, the listing whose page
the checker only ever finds behind a captcha, and recorded it with a screenshot, so the
dashboard's headline has a product "do cán bộ xác nhận". The screenshot is drawn here and goes
through the very path an upload takes (`attestations.operations.attest`: size cap, decoding,
re-encoding without metadata).

SAMPLE DATA: the picture says so on its face, and the note says so too.
"""

import io

from PIL import Image, ImageDraw, ImageFont

from .attestations import operations
from .localtime import local_date
from .models import Attestation, Listing, User, utcnow
from .numbers import vnd
from .sample_markets import SAMPLE, Shelf

WIDTH, HEIGHT = 480, 300


def attest(listing: Listing, shelf: Shelf, officer: User) -> Attestation:
    """`officer` attests `listing` (on `shelf`) as seen on sale today (Vietnam time), with a
    sample screenshot (committed)."""
    picture = screenshot(shelf.title, vnd(shelf.price))
    return operations.attest(listing, officer, local_date(utcnow()), io.BytesIO(picture),
                             note=f"Đã xem trên điện thoại, sản phẩm đang bán — {SAMPLE}")


def screenshot(title: str, price: str) -> bytes:
    """A PNG that looks like a phone's view of a product page, marked as sample data."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font, big = _font(16), _font(22)
    draw.rectangle((0, 0, WIDTH, 36), fill="#2e7d32")
    draw.text((12, 9), SAMPLE, fill="white", font=font)
    draw.rectangle((16, 56, 176, 216), fill="#c8e6c9", outline="#2e7d32", width=2)
    draw.text((192, 60), title, fill="black", font=font)
    draw.text((192, 100), price, fill="#c62828", font=big)
    draw.rounded_rectangle((192, 170, 400, 210), radius=6, fill="#ee4d2d")
    draw.text((206, 180), "Thêm vào giỏ hàng", fill="white", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans, which has Vietnamese letters; Pillow's own font (whose Vietnamese letters
    show as boxes) on a machine without it."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size)
