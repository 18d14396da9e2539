"""Imitation open platforms: real HTTP servers that speak like the marketplaces' open platforms
(imitation.py, shopee.py), for the tests and for the demo. The demo's is a sample Shopee Open
Platform that `ocop serve-demo` serves on OCOP_SAMPLE_MARKETS_PORT + OFFSET, holding the sample
shop whose items the Shopee-like sample marketplace's listings name; `make run` points the app's
OCOP_SHOPEE_* settings at it, so a demo producer can connect that shop.

SAMPLE DATA: the partner credentials, the shop and its items are illustrative.
"""

import errno

from scrapers.openplatform.shopee import listing_ids

from ..sample_markets import HOST, SHELVES, PortTaken, market_of, url_of
from .imitation import item
from .shopee import ShopeeServer

# The demo's partner app on the sample platform; the Makefile passes the same to the app.
PARTNER_ID = "1000001"
PARTNER_KEY = "ocop-demo-sample-partner-key"
OFFSET = 5  # after the sample marketplaces' ports (sample_markets.MARKETS)
NAME = "Shopee mẫu (nền tảng mở)"
SHOP_NAME = "Chè Hướng Tâm (gian hàng mẫu)"
STOCK = 24  # units the sample shop has of each item


def port(first_port: int) -> int:
    """The sample platform's port when the sample marketplaces start at `first_port`."""
    return first_port + OFFSET


def base(first_port: int) -> str:
    """The sample platform's address (OCOP_SHOPEE_API_BASE and _AUTH_BASE in the demo)."""
    return f"http://{HOST}:{port(first_port)}"


def sample_shopee(first_port: int) -> ShopeeServer:
    """The sample Shopee Open Platform (not started), its shops holding, on sale, every item
    that a listing of the Shopee-like sample marketplace names."""
    server = ShopeeServer(PARTNER_ID, PARTNER_KEY, port=port(first_port))
    shops: dict[str, dict] = {}
    for shelf in SHELVES:
        if market_of(shelf).adapter == "shopee":
            shop, item_id = listing_ids(url_of(shelf, first_port))
            shops.setdefault(shop, {})[item_id] = item("NORMAL", STOCK, shelf.price, shelf.title)
    for shop, items in shops.items():
        server.add_shop(shop, SHOP_NAME, items)
    return server


def serve(first_port: int) -> ShopeeServer:
    """The sample Shopee Open Platform, serving; PortTaken when its port is in use."""
    server = sample_shopee(first_port)
    try:
        return server.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortTaken(NAME, server.port) from exc
        raise
