"""TikTok Shop: little is publicly known, and it is assumed to block clients without a browser.

The shared judgement applies: captcha and login hops or pages are blocked, an empty shell is
unknown, and whatever schema.org data or phrases the page does carry are read.
"""

from scrapers.adapters.base import Adapter


class TikTok(Adapter):
    """shop.tiktok.com: `/view/product/<id>` (and `/<region>/pdp/…/<id>`)."""

    name = "tiktok"
