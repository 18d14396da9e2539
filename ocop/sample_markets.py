"""The demo's sample marketplaces: small imitation shops on 127.0.0.1, one port each, that carry
the sample products' listings, so a check of the demo gives every verdict with its evidence and
never needs the internet. `ocop serve-demo` runs them in threads beside the app, with the
sample Shopee Open Platform (ocop/sample_platforms).

SAMPLE DATA: every shop, page, price and phrase here is illustrative.
"""

import errno
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from scrapers.adapters.shopee import ITEM_APIS

from .numbers import vnd

SAMPLE = "Dữ liệu mẫu (minh hoạ)"
HOST = "127.0.0.1"
SLOW_SECONDS = 4.0  # the slow listing answers late, but within the checker's timeout


@dataclass(frozen=True)
class Market:
    """A sample marketplace: its name, slug, how the checker reads it, its port's offset, and
    the adapter that reads its listings."""

    name: str
    slug: str
    fetch: str
    offset: int
    adapter: str = "generic"


MARKETS = (
    Market("Sàn mẫu Chợ Phiên", "mau-cho-phien", "http", 0),
    Market("Sàn mẫu Nông Sản Xanh", "mau-nong-san-xanh", "http", 1),
    Market("Sàn mẫu Đặc Sản Vùng Cao", "mau-vung-cao", "http", 2),
    # Its pages are drawn by a script, as Shopee's are: only the browser route sees the product.
    Market("Sàn mẫu Chợ Số (cần trình duyệt)", "mau-cho-so", "browser", 3),
    # Read as Shopee is: its item API walls bots off, as Shopee's does; a shop connected through
    # the sample Shopee Open Platform (ocop/sample_platforms) answers for its listings instead.
    Market("Shopee (sàn mẫu)", "mau-shopee", "http", 4, "shopee"),
)

# What a listing's page does: on sale, sold out, gone (404), behind a captcha wall, slow but on
# sale, down (503 every time: unreachable), on sale once the page's script has run, or (on the
# Shopee-like marketplace) an app shell whose item API refuses bots: blocked by the page route,
# on sale by its connected shop's API.
KINDS = ("on_sale", "sold_out", "gone", "captcha", "slow", "down", "scripted", "walled")


@dataclass(frozen=True)
class Shelf:
    """One sample listing: its product, marketplace, path, page kind, price (VND), and the run
    of the sample history (0–24, 24 being this month's) that first saw it."""

    code: str
    market: str
    path: str
    title: str
    kind: str
    price: int
    since: int = 0


SHELVES = (
    Shelf("LC-2021-01", "mau-cho-phien", "/sp/buoi-muc-thai-nien", "Quả bưởi Múc Thái Niên",
          "on_sale", 45_000),
    Shelf("LC-2021-01", "mau-nong-san-xanh", "/san-pham/buoi-muc", "Bưởi Múc loại 1",
          "on_sale", 49_000, 6),
    Shelf("LC-2021-02", "mau-cho-phien", "/sp/tra-hoa-sen-phong-hai",
          "Phong Hải Danh Trà – Trà hoa sen", "on_sale", 120_000),
    Shelf("LC-2021-02", "mau-vung-cao", "/hang/tra-sen", "Trà hoa sen Phong Hải hộp 100 g",
          "sold_out", 125_000, 4),
    Shelf("LC-2021-02", "mau-cho-so", "/item/tra-hoa-sen", "Trà hoa sen Phong Hải",
          "scripted", 118_000, 10),
    Shelf("LC-2021-03", "mau-cho-phien", "/sp/tra-hoa-nhai-phong-hai",
          "Phong Hải Danh Trà – Trà hoa nhài", "sold_out", 110_000, 2),
    Shelf("LC-2021-06", "mau-nong-san-xanh", "/san-pham/lap-suon-gia-phu", "Lạp sườn Gia Phú",
          "on_sale", 280_000),
    Shelf("LC-2021-06", "mau-vung-cao", "/hang/lap-suon", "Lạp sườn gác bếp Gia Phú",
          "gone", 275_000, 3),
    Shelf("LC-2021-07", "mau-vung-cao", "/hang/thit-ba-chi-say", "Thịt ba chỉ sấy Gia Phú",
          "captcha", 320_000, 8),
    Shelf("LC-2021-09", "mau-cho-phien", "/sp/che-bat-tien-huong-tam", "Chè Bát tiên Hướng Tâm",
          "on_sale", 150_000),
    Shelf("LC-2021-09", "mau-nong-san-xanh", "/san-pham/che-bat-tien", "Chè Bát tiên Bắc Hà",
          "slow", 155_000, 5),
    # Shopee's URL shape (/<slug>-i.<shop id>.<item id>): the sample shop 880001 holds item 2200001.
    Shelf("LC-2021-09", "mau-shopee", "/che-bat-tien-huong-tam-i.880001.2200001",
          "Chè Bát tiên Hướng Tâm hộp 100 g", "walled", 148_000, 12),
    Shelf("LC-2021-12", "mau-nong-san-xanh", "/san-pham/man-tam-hoa-say-deo",
          "Mận Tam hoa sấy dẻo", "on_sale", 95_000, 24),
    Shelf("LC-2021-15", "mau-vung-cao", "/hang/tinh-dau-que-nam-det", "Tinh dầu quế Nậm Đét",
          "down", 180_000, 9),
    Shelf("LC-2021-16", "mau-cho-phien", "/sp/khau-nhuc-son-hoa", "Khẩu nhục Sơn Hòa",
          "on_sale", 260_000, 14),
    Shelf("LC-2021-16", "mau-cho-so", "/item/khau-nhuc", "Khẩu nhục Mường Khương",
          "scripted", 255_000, 24),
    Shelf("LC-2024-01", "mau-cho-phien", "/sp/cao-mem-actiso-sa-pa", "Cao mềm actiso Sa Pa",
          "on_sale", 210_000),
    Shelf("LC-2024-01", "mau-nong-san-xanh", "/san-pham/cao-actiso", "Cao actiso Traphaco Sa Pa",
          "on_sale", 215_000),
    Shelf("LC-2024-01", "mau-cho-so", "/item/cao-actiso", "Cao mềm actiso", "scripted",
          205_000, 18),
    Shelf("LC-2024-02", "mau-vung-cao", "/hang/tra-actiso", "Trà phun sương actiso Sa Pa",
          "on_sale", 85_000, 1),
    Shelf("LC-2024-02", "mau-cho-phien", "/sp/tra-actiso-sa-pa", "Trà actiso Sa Pa túi lọc",
          "sold_out", 80_000, 15),
)


def port_of(market: Market, first_port: int) -> int:
    return first_port + market.offset


def ports(first_port: int) -> list[int]:
    """The sample marketplaces' ports."""
    return [port_of(m, first_port) for m in MARKETS]


def endpoints(first_port: int) -> list[str]:
    """The host:port pairs of the sample marketplaces: what the checker must be let reach (not
    the sample platform's: the open-platform clients ask a configured partner host directly)."""
    return [f"{HOST}:{port}" for port in ports(first_port)]


def market_of(shelf: Shelf) -> Market:
    return next(m for m in MARKETS if m.slug == shelf.market)


def url_of(shelf: Shelf, first_port: int) -> str:
    return f"http://{HOST}:{port_of(market_of(shelf), first_port)}{shelf.path}"


# ------------------------------------------------------------------ pages

def product_page(name: str, availability: str = "InStock", price: int = 150000) -> str:
    """A product page with schema.org JSON-LD, as most shops publish it."""
    data = {"@context": "https://schema.org", "@type": "Product", "name": name,
            "offers": {"@type": "Offer", "price": price, "priceCurrency": "VND",
                       "availability": f"https://schema.org/{availability}"}}
    return (f"<!doctype html><html><head><title>{name}</title>"
            f'<script type="application/ld+json">{json.dumps(data)}</script></head>'
            f"<body><main><h1>{name}</h1></main></body></html>")


# Large enough that the browser route's screenshot of the page shows what a shopper would read.
SHELL_STYLE = "body{font:28px/1.5 sans-serif;margin:3rem}main{border:2px solid #ccc;padding:2rem}"


def scripted_page(text: str, title: str) -> str:
    """An app shell: a plain HTTP client sees no product; the page's script writes `text`."""
    return (f"<html><head><title>{title}</title><style>{SHELL_STYLE}</style></head>"
            f"<body><main id='app'></main>"
            f"<script>document.getElementById('app').textContent = {json.dumps(text)};"
            f"</script></body></html>")


NOT_FOUND = "<html><body><h1>Không tìm thấy trang</h1></body></html>"
CAPTCHA = ("<html><head><title>Kiểm tra bảo mật</title></head><body><main>"
           "<h1>Xác minh bạn không phải là robot</h1><div class='g-recaptcha'></div>"
           "</main></body></html>")
DOWN = "<html><body>Service unavailable</body></html>"
# What Shopee's item API answers a bot (DOMAIN.md: HTTP 200 with a JSON error body).
API_WALL = json.dumps({"error": 90309999, "error_msg": None, "data": None})


def answer(shelf: Shelf | None) -> tuple[int, str]:
    """The status and page a sample listing answers (a path no listing has: 404)."""
    if shelf is None or shelf.kind == "gone":
        return 404, NOT_FOUND
    if shelf.kind == "captcha":
        return 200, CAPTCHA
    if shelf.kind == "down":
        return 503, DOWN
    if shelf.kind in ("scripted", "walled"):
        return 200, scripted_page(f"{shelf.title} {vnd(shelf.price)} Thêm vào giỏ hàng — {SAMPLE}",
                                  shelf.title)
    availability = "OutOfStock" if shelf.kind == "sold_out" else "InStock"
    return 200, product_page(f"{shelf.title} — {SAMPLE}", availability, shelf.price)


# ------------------------------------------------------------------ serving

class PortTaken(Exception):
    """A sample marketplace's (or sample platform's) port is in use by another program."""

    def __init__(self, name: str, port: int):
        super().__init__(f"{name}: port {port} is taken")
        self.name = name
        self.port = port


def handler_for(market: Market) -> type[BaseHTTPRequestHandler]:
    """A request handler that serves `market`'s shelves."""
    shelves = {s.path: s for s in SHELVES if s.market == market.slug}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            path = self.path.split("?", 1)[0]
            if path == "/robots.txt":
                status, body, kind = 200, "User-agent: *\nAllow: /\n", "text/plain"
            elif market.adapter == "shopee" and path in ITEM_APIS:
                status, body, kind = 200, API_WALL, "application/json"
            else:
                shelf = shelves.get(path)
                if shelf is not None and shelf.kind == "slow":
                    time.sleep(SLOW_SECONDS)
                status, body = answer(shelf)
                kind = "text/html"
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # the app's own log is enough
            pass

    return Handler


class SampleMarkets:
    """Every sample marketplace, each on its port, served from daemon threads."""

    def __init__(self, first_port: int):
        self.first_port = first_port
        self.servers: list[ThreadingHTTPServer] = []
        self.serving = False

    def start(self) -> None:
        """Listen on every port or on none: PortTaken names the first that is in use."""
        try:
            for market in MARKETS:
                port = port_of(market, self.first_port)
                try:
                    server = ThreadingHTTPServer((HOST, port), handler_for(market))
                except OSError as exc:
                    if exc.errno == errno.EADDRINUSE:
                        raise PortTaken(market.name, port) from exc
                    raise
                server.daemon_threads = True
                self.servers.append(server)
        except BaseException:
            self.stop()
            raise
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.serving = True

    def stop(self) -> None:
        for server in self.servers:
            if self.serving:
                server.shutdown()  # waits for serve_forever, which must have been called
            server.server_close()
        self.servers, self.serving = [], False
