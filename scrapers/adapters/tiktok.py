"""TikTok Shop: little is publicly known, and it is assumed to block clients without a browser.

The shared judgement applies: captcha and login hops or pages are blocked, an empty shell is
unknown, and whatever schema.org data or phrases the page does carry are read.

On the browser route the same rules read the rendered DOM: the product's name, price and
"Mua ngay"/"Thêm vào giỏ hàng" or "Hết hàng", a "Sản phẩm không tồn tại"-like notice, or a
slider captcha ("Kéo thanh trượt để xác minh") or login prompt. That TikTok Shop's pages show
these phrases is assumed from what shoppers see, not verified from here. No `browser_ready`
selector and no `browser_expects` test are declared: the real page's element names and data
endpoints are not publicly known, so the route waits for the page's network to go quiet before
reading it (tests/scrapers/test_browser_marketplaces.py imitates such a page: an empty shell
over HTTP, which stays `unknown` there, and the product, "Hết hàng", the not-found notice or the
slider captcha once its script ran).

Listing URLs (DOMAIN.md): `/view/product/<id>` with its `region` and `locale` parameters (kept),
and the `/<region>/pdp/<slug>/<id>` form. Share links: the app's "Chia sẻ" button gives
`https://vt.tiktok.com/<code>/` (and, from older apps and outside Asia, `vm.tiktok.com`); public
link-expander code shows both answering with a redirect to the full www.tiktok.com URL. For a
product that is assumed to be one of the listing URLs above; a shared video or profile is not
a listing, and is refused as such.
"""

import re

from scrapers.adapters.base import Adapter


class TikTok(Adapter):
    """shop.tiktok.com: `/view/product/<id>` (and `/<region>/pdp/…/<id>`)."""

    name = "tiktok"
    browser_warm = True  # an app of heavy scripts, shown listing after listing
    item_patterns = (
        re.compile(r"^/view/product/(?P<item>\d+)/?$"),
        re.compile(r"^/(?:[a-z]{2}/)?pdp/(?:[^/]+/)?(?P<item>\d+)/?$"),
    )
    item_params = frozenset({"region", "locale"})
    share_hosts = frozenset({"vt.tiktok.com", "vm.tiktok.com"})


ADAPTER = TikTok()
