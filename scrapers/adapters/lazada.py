"""Lazada: the generic judgement, then the product module JSON that the page embeds.

Assumption from public scrapers: `window.pageData` / `__moduleData__` hold `skuInfos`, each SKU
with a `stock` count and `price.salePrice`, and `product.title`; a page without them says
nothing here. Slider captcha ("punish") pages are caught by the shared challenge markers.
On the browser route the rendered DOM still carries those inline scripts, and what the page's
scripts draw (stock and walls in text) is read by the shared rules; not verified live. A script
redirect to the punish page is a hop of the chain (blocked, captcha). As for TikTok Shop, no
`browser_ready` selector or `browser_expects` test: Lazada's element names and the endpoints its
scripts call are not publicly known here, so the route waits for a quiet network (imitated in
tests/scrapers/test_browser_marketplaces.py, where the HTTP route sees only an empty shell).

Listing URLs (DOMAIN.md): `/products/<slug>-i<item>-s<sku>.html` and `/products/pdp-i<id>.html`;
the id is the item number, the SKU and every query parameter dropped. Share links: the app's
"Chia sẻ" button gives `https://s.lazada.vn/s.<code>`, assumed (from what shoppers paste, not
from anything Lazada publishes) to redirect to such a listing URL on www.lazada.vn.
"""

import json
import re

from scrapers.adapters.base import Adapter
from scrapers.extract import Signals, parse_price
from scrapers.model import Finding

_DATA = re.compile(r"(?:window\.pageData|__moduleData__)\s*=\s*")
_DECODER = json.JSONDecoder(strict=False)


class Lazada(Adapter):
    """lazada.vn: `/products/<slug>-i<item>-s<sku>.html`."""

    name = "lazada"
    browser_warm = True  # an app of heavy scripts, shown listing after listing
    item_patterns = (re.compile(r"^/products/(?:[^/]*-)?i(?P<item>\d+)(?:-s\d+)?\.html$"),)
    item_params = frozenset()
    share_hosts = frozenset({"s.lazada.vn"})

    def page_data(self, html: str, signals: Signals) -> Finding | None:
        """Stock from the SKUs of the embedded module JSON."""
        for match in _DATA.finditer(html):
            try:
                data, _ = _DECODER.raw_decode(html, match.end())
            except (ValueError, RecursionError):
                continue
            skus = _find(data, "skuInfos")
            if not isinstance(skus, dict):
                continue
            stocks = [_int(sku.get("stock")) for sku in skus.values() if isinstance(sku, dict)]
            stocks = [s for s in stocks if s is not None]
            if not stocks:
                continue
            product = _find(data, "product")
            title = product.get("title") if isinstance(product, dict) else None
            prices = [_sale_price(sku) for sku in skus.values() if isinstance(sku, dict)]
            price = min((p for p in prices if p), default=signals.price)
            verdict = "active" if max(stocks) > 0 else "out_of_stock"
            return Finding(verdict, "page-data-stock", f"skuInfos stock {stocks[:5]}",
                           title or signals.title, price, f"stock {max(stocks)}")
        return None


ADAPTER = Lazada()


def _find(node, key: str, depth: int = 0):
    """The first value under `key` anywhere in `node`, breadth before depth."""
    if depth > 8 or not isinstance(node, dict | list):
        return None
    children = node.values() if isinstance(node, dict) else node
    if isinstance(node, dict) and key in node:
        return node[key]
    for child in children:
        if (found := _find(child, key, depth + 1)) is not None:
            return found
    return None


def _sale_price(sku: dict) -> int | None:
    """A SKU's `price.salePrice` as a number or as its displayed text."""
    sale = _find(sku, "salePrice")
    return parse_price(sale.get("value") or sale.get("text")) if isinstance(sale, dict) else None


def _int(value) -> int | None:
    """A stock count written as a number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None
