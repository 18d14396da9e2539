"""TikTok Shop: little is publicly known, and it is assumed to block clients without a browser.

The shared judgement applies: captcha and login hops or pages are blocked, an empty shell is
unknown, and whatever schema.org data or phrases the page does carry are read.

On the browser route the same rules read the rendered DOM: the product's name, price and
"Mua ngay"/"Thêm vào giỏ hàng" or "Hết hàng", a "Sản phẩm không tồn tại"-like notice, or a
slider captcha ("Kéo thanh trượt để xác minh") or login prompt. That TikTok Shop's pages show
these phrases is assumed from what shoppers see, not verified from here.
"""

from scrapers.adapters.base import Adapter


class TikTok(Adapter):
    """shop.tiktok.com: `/view/product/<id>` (and `/<region>/pdp/…/<id>`)."""

    name = "tiktok"
    browser_warm = True  # an app of heavy scripts, shown listing after listing
