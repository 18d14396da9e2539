"""Shopee: the item API first (`api/v4/item/get`), the page (an app shell, mostly) after.

Assumptions, none of them published by Shopee: `data.stock` is the units on sale over all
models, `data.price` is VND × 100000, `item_status` "normal" is a listed item, and an error
body without data is the anti-bot wall (90309999 and kin); the code for a deleted item is not
publicly known, so no API answer here ever says removed.

The browser route (DOMAIN.md: a plain call gets HTTP 200 and `{"error": 90309999}`, the page's
scripts compute the request tokens): the rendered page's own calls to `/api/v4/item/get` and
`/api/v4/pdp/get_pc` for this item (`shopid`/`itemid` or `shop_id`/`item_id` in the query, on one
of the marketplace's hosts) are judged as above, `get_pc` assumed to nest the same item object
under `data.item`; then the rendered DOM under the shared rules, where a deleted item is assumed
to read "Sản phẩm này không tồn tại" or the like (the wording is unverified) and walls are a
script redirect to `/verify/...` or `/buyer/login` or a captcha or login text on the page. None
of this could be checked against shopee.vn from here: it is what public scrapers and reports
describe, imitated in tests/scrapers/jsmarket.py.

Listing URLs (DOMAIN.md): `/<slug>-i.<shop>.<item>` and `/product/<shop>/<item>`; the id is
"<shop>.<item>" and no query parameter belongs to the item. Share links: the app's "Chia sẻ"
button gives `https://s.shopee.vn/<code>`, older shares and affiliate links
`https://shope.ee/<code>`; both are assumed (from what shoppers paste and public link-expander
code, not from anything Shopee publishes) to answer with redirects, perhaps through other
shopee.vn pages, ending on one of those listing URLs. shope.ee serves every Shopee country, so
it may lead to another country's site: that is off the marketplace and refused.
"""

import re
from urllib.parse import parse_qs, urlsplit

from scrapers.adapters.api import ApiAdapter
from scrapers.adapters.base import base_url
from scrapers.model import Finding, Target

ITEM_APIS = frozenset({"/api/v4/item/get", "/api/v4/pdp/get_pc"})

PRICE_SCALE = 100_000


class Shopee(ApiAdapter):
    """shopee.vn: `/<slug>-i.<shop>.<item>` and `/product/<shop>/<item>`."""

    name = "shopee"
    browser_warm = True  # an app of heavy scripts, shown listing after listing
    item_patterns = (
        re.compile(r"^/(?:[^/]*-)?i\.(?P<shop>\d+)\.(?P<item>\d+)/?$"),
        re.compile(r"^/product/(?P<shop>\d+)/(?P<item>\d+)/?$"),
    )
    item_params = frozenset()
    share_hosts = frozenset({"s.shopee.vn", "shope.ee"})

    def api_url(self, target: Target) -> str | None:
        """`/api/v4/item/get?shopid=&itemid=` on the listing's host."""
        item = target.item_id or self.item_id(target.url)
        if not item or "." not in item:
            return None
        shop, _, item = item.partition(".")
        return f"{base_url(target)}/api/v4/item/get?shopid={shop}&itemid={item}"

    def is_item_api(self, target: Target, url: str) -> bool:
        """The item API on the marketplace's host, asked about this listing's item."""
        item = target.item_id or self.item_id(target.url)
        parts = urlsplit(url)
        if not item or parts.path not in ITEM_APIS or parts.netloc.lower() not in target.hosts:
            return False
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        shop, _, item = item.partition(".")
        return ((query.get("shopid") or query.get("shop_id")) == shop
                and (query.get("itemid") or query.get("item_id")) == item)

    def browser_expects(self, target: Target):
        """The page's own call to the item API."""
        return lambda url: self.is_item_api(target, url)

    def judge_json(self, body: dict) -> Finding:
        """An item with its stock, or an error body."""
        data = body.get("data") or body.get("item")  # v4 nests under data, v2 under item
        if isinstance(data, dict) and isinstance(data.get("item"), dict):
            data = data["item"]  # pdp/get_pc
        error = body.get("error")
        if error not in (None, 0) and not data:
            return Finding("blocked", "api-error", f"API error {error!r}")
        if not isinstance(data, dict):
            return Finding("unknown", "api-shape", "API answered without item data")
        title = data.get("name") if isinstance(data.get("name"), str) else None
        raw = data.get("price") or data.get("price_min")
        price = round(raw / PRICE_SCALE) if _number(raw) and raw > 0 else None
        status = data.get("item_status")
        if status not in (None, "normal"):  # meaning of other values not public: do not guess
            return Finding("unknown", "api-item-status", f"item_status {status!r}", title, price)
        stock = data.get("stock")
        if not _number(stock):
            return Finding("unknown", "api-shape", "API item without stock", title, price)
        verdict = "active" if stock > 0 else "out_of_stock"
        return Finding(verdict, "api-stock", f"stock {stock}", title, price, f"stock {stock}")


def _number(value) -> bool:
    """A JSON number (booleans are ints to Python, not to JSON)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


ADAPTER = Shopee()
