"""An imitation marketplace on 127.0.0.1 for the app's check-run tests: pages answer with a
script of responses (the last one repeats), and every request is counted."""

import re
import time
from collections import defaultdict

from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from ocop.extensions import db
from ocop.models import Listing, Marketplace, MarketplaceHost
from ocop.sample_markets import DOWN as DOWN_PAGE
from ocop.sample_markets import NOT_FOUND, product_page, scripted_page
from tests.conftest import make_product, producer_named

# App settings for check tests: only this machine's loopback, no politeness, short waits.
FAST = {"SCRAPER_ALLOWED_NETWORKS": "127.0.0.1/32", "SCRAPER_POLITE": False,
        "SCRAPER_RETRIES": 1, "SCRAPER_BACKOFF": 0.01, "SCRAPER_TIMEOUT": 2.0,
        "REMOVAL_CONFIRM_SECONDS": 0.3, "BREAKER_MINIMUM": 4}

LIVE = (200, product_page("Chè Bát tiên"))
SOLD_OUT = (200, product_page("Chè Bát tiên", "OutOfStock"))
GONE = (404, NOT_FOUND)
BLOCKED = (403, "<html><body>Access denied</body></html>")
# On sale only once its script has run: a plain HTTP client sees an empty app shell.
SCRIPTED = (200, scripted_page("Chè Bát tiên Hướng Tâm 150.000 ₫ Thêm vào giỏ hàng",
                               "Chè Bát tiên"))
DOWN = (503, DOWN_PAGE)


class Shop:
    """A marketplace served by `server`; `script(path, *responses)` sets what a path answers."""

    def __init__(self, server: HTTPServer):
        self.server = server
        self.scripts: dict[str, list[tuple[int, str]]] = {}
        self.hits: dict[str, int] = defaultdict(int)
        self.delay = 0.0  # seconds every page takes to answer
        server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
        server.expect_request(re.compile(r"^/(?!robots\.txt$)")).respond_with_handler(self.answer)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def script(self, path: str, *responses: tuple[int, str]) -> None:
        self.scripts[path] = list(responses)

    def answer(self, request: Request) -> Response:
        """The next scripted response of the path (the last one repeats)."""
        script = self.scripts.get(request.path, [GONE])
        index = min(self.hits[request.path], len(script) - 1)
        self.hits[request.path] += 1
        time.sleep(self.delay)
        status, body = script[index]
        return Response(body, status=status, content_type="text/html; charset=utf-8")

    def register(self, name: str = "Chợ thử", slug: str = "cho-thu",
                 concurrency: int = 4) -> Marketplace:
        """The marketplace row whose host is this server (not committed)."""
        marketplace = Marketplace(name=name, slug=slug, adapter="generic",
                                  concurrency=concurrency, min_interval=0,
                                  hosts=[MarketplaceHost(host=self.host)])
        db.session.add(marketplace)
        return marketplace

    def listing(self, product, marketplace: Marketplace, path: str, *responses,
                **fields) -> Listing:
        """A listing of `product` at `path`, answering `responses` (not committed)."""
        if responses:
            self.script(path, *responses)
        listing = Listing(product=product, marketplace=marketplace, url=self.url(path),
                          canonical_url=self.url(path), item_id=path, **fields)
        db.session.add(listing)
        return listing


def add_listings(app, shop: Shop, *scripts, **fields) -> list[int]:
    """One product per script, each with one listing on the shop answering that script."""
    with app.app_context():
        marketplace = db.session.scalar(select(Marketplace).filter_by(slug="cho-thu"))
        producer = producer_named("HTX Chè Hướng Tâm")
        ids = []
        for n, responses in enumerate(scripts):
            product = make_product(f"T-{n:03d}", f"Sản phẩm {n}", producer)
            listing = shop.listing(product, marketplace, f"/p/{n}", *responses, **fields)
            db.session.flush()
            ids.append(listing.id)
        db.session.commit()
        return ids
