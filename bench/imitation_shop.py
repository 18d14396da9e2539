"""An imitation marketplace on 127.0.0.1 for the check-run bench: realistic ~50 KB product pages.

A minimal asyncio HTTP/1.1 server (keep-alive, no framework) so the shop costs little CPU and is
never the bottleneck; every response waits `--latency` ms, as a distant marketplace would.
What a page answers depends only on the number in its path, so the bench knows the verdict mix
in advance (`expected`):

    /san-pham/<slug>-<n>.html   n % 100 <  3: 404 page             -> removed (confirmed later)
                                n % 100 == 3: 301 to the home page -> removed (redirect-away)
                                n % 100 < 11: JSON-LD OutOfStock   -> out_of_stock
                                n % 100 < 16: no structured data, a "Thêm vào giỏ hàng" button
                                              (the adapter parses the DOM)   -> active
                                otherwise     JSON-LD InStock      -> active
    /robots.txt                 a few Disallow lines (none covering the products)
    /__stats                    JSON: requests served, by status, and this process's CPU and RSS

SAMPLE DATA: names, prices and text are generated; nothing here is a real shop or product.

    .venv/bin/python -m bench.imitation_shop --port 8765 --latency 20
"""

import argparse
import asyncio
import json
import resource
import signal
import sys
from collections import Counter
from urllib.parse import urlsplit

from bench.dataset import COMMUNES, PRODUCT_TYPES, VARIANTS

# ---------------------------------------------------------------- the pages


def kind(n: int) -> str:
    """What listing number `n` answers (see the module docstring)."""
    k = n % 100
    if k < 3:
        return "gone"
    if k == 3:
        return "moved"
    if k < 11:
        return "sold_out"
    if k < 16:
        return "phrase"
    return "in_stock"


# The verdict each kind gets from the generic adapter in the first pass.
VERDICT = {"gone": "removed", "moved": "removed", "sold_out": "out_of_stock",
           "phrase": "active", "in_stock": "active"}


def expected(numbers) -> Counter:
    """The first-pass verdicts of the listings numbered `numbers`."""
    return Counter(VERDICT[kind(n)] for n in numbers)


def product_name(n: int) -> str:
    kind_name, _category = PRODUCT_TYPES[n % len(PRODUCT_TYPES)]
    commune = COMMUNES[(n // len(PRODUCT_TYPES)) % len(COMMUNES)]
    variant = VARIANTS[(n // 7) % len(VARIANTS)]
    return " ".join(filter(None, (kind_name, commune, variant)))


def product_path(n: int, slug: str) -> str:
    """The path of listing number `n` (`slug` is the product name without diacritics)."""
    return f"/san-pham/{slug}-{n}.html"


def _repeat(text: str, size: int) -> str:
    """`text` repeated to about `size` UTF-8 bytes."""
    unit = len(text.encode())
    return text * max(1, size // unit)


_STYLE = _repeat(".sp-card{display:flex;gap:8px;padding:12px;border:1px solid #eee}"
                 ".sp-card img{width:64px;height:64px;object-fit:cover}\n", 3000)
_SCRIPT = _repeat("window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push("
                  "arguments)}gtag('js',new Date());gtag('config','G-BENCH00');"
                  "var _cartCount=0;function addToCart(id,q){_cartCount+=q;"
                  "document.querySelector('#cart-count').textContent=_cartCount;}\n", 9000)
_NAV = "<nav class=\"mega-menu\"><ul>" + "".join(
    f'<li><a href="/danh-muc/{i}">{name} {commune}</a></li>'
    for i, ((name, _c), commune) in enumerate(zip(PRODUCT_TYPES * 3, COMMUNES * 3, strict=False))
) + "</ul></nav>"
_NAV = _repeat(_NAV, 7000)
_DESCRIPTION = _repeat(
    "<p>Sản phẩm được sản xuất theo quy trình truyền thống của đồng bào vùng cao, nguyên liệu "
    "thu hái tại địa phương, sơ chế và đóng gói tại cơ sở đạt chuẩn vệ sinh an toàn thực phẩm. "
    "Bảo quản nơi khô ráo, thoáng mát, tránh ánh nắng trực tiếp. Hạn sử dụng 12 tháng kể từ "
    "ngày sản xuất in trên bao bì. Sản phẩm đạt chứng nhận OCOP của tỉnh.</p>\n", 16000)
_RELATED = "<section class=\"related-products\"><h2>Sản phẩm liên quan</h2>" + "".join(
    f'<div class="sp-card"><img src="/img/{i}.jpg" alt=""><a href="/san-pham/x-{i}.html">'
    f"{name} {commune}</a><span>{(i * 37) % 900 + 50}.000 ₫</span>"
    "<button>Mua ngay</button></div>"
    for i, ((name, _c), commune) in enumerate(zip(PRODUCT_TYPES, COMMUNES, strict=False))
) + "</section>"
_RELATED = _repeat(_RELATED, 9000)
_FOOTER = _repeat(
    "<footer><p>Sàn thương mại điện tử thử nghiệm – dữ liệu mẫu cho đo hiệu năng. "
    "Địa chỉ: phường Cốc Lếu, Lào Cai. Hotline 1900 0000. Chính sách đổi trả, bảo mật, "
    "vận chuyển và thanh toán.</p></footer>", 4000)
_HEAD = ('<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
         'initial-scale=1"><link rel="stylesheet" href="/static/app.css">'
         f"<style>{_STYLE}</style><script>{_SCRIPT}</script>")


def _jsonld(name: str, n: int, price: int, availability: str) -> str:
    data = {"@context": "https://schema.org", "@type": "Product", "name": name,
            "sku": f"SP{n:07d}", "image": [f"/img/{n}.jpg"],
            "brand": {"@type": "Brand", "name": "OCOP Lào Cai"},
            "description": "Đặc sản vùng cao, sản phẩm OCOP.",
            "aggregateRating": {"@type": "AggregateRating", "ratingValue": 4.8,
                                "reviewCount": 10 + n % 300},
            "offers": {"@type": "Offer", "price": price, "priceCurrency": "VND",
                       "url": f"/san-pham/{n}", "itemCondition": "https://schema.org/NewCondition",
                       "availability": f"https://schema.org/{availability}"}}
    return (f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}'
            "</script>")


def product_page(n: int) -> bytes:
    """The HTML of listing `n` (a "gone" or "moved" listing has its own answer)."""
    k = kind(n)
    name = product_name(n)
    price = 50_000 + (n * 7919) % 900 * 1000
    structured = "" if k == "phrase" else _jsonld(
        name, n, price, "OutOfStock" if k == "sold_out" else "InStock")
    button = ("<p class=\"stock\">Tạm hết hàng</p>" if k == "sold_out"
              else '<button class="btn-buy">Thêm vào giỏ hàng</button>')
    extra = _DESCRIPTION[: (n % 5) * 1000]  # pages differ a little in size
    price_text = f"{price:,}".replace(",", ".")
    return (
        f"<!doctype html><html lang=\"vi\"><head><title>{name} – Chợ OCOP thử</title>{_HEAD}"
        f'<meta property="og:title" content="{name}"><meta property="og:type" content="website">'
        f"{structured}</head><body><header><a href=\"/\">Chợ OCOP thử</a>"
        '<span id="cart-count">0</span></header>'
        f"{_NAV}<main><nav class=\"breadcrumb\"><a href=\"/\">Trang chủ</a> › {name}</nav>"
        f"<h1>{name}</h1><div class=\"price\">{price_text} ₫</div>{button}"
        f"<div class=\"description\">{_DESCRIPTION}{extra}</div></main>"
        f"{_RELATED}{_FOOTER}<script>{_SCRIPT[:3000]}</script></body></html>"
    ).encode()


NOT_FOUND_PAGE = (
    f"<!doctype html><html lang=\"vi\"><head><title>Không tìm thấy trang</title>{_HEAD}</head>"
    f"<body><header><a href=\"/\">Chợ OCOP thử</a></header>{_NAV}<main><h1>Không tìm thấy "
    f"trang</h1><p>Sản phẩm không tồn tại hoặc đã bị gỡ.</p></main>{_FOOTER}</body></html>"
).encode()
HOME_PAGE = (
    f"<!doctype html><html lang=\"vi\"><head><title>Chợ OCOP thử – Trang chủ</title>{_HEAD}"
    f"</head><body><header>Chợ OCOP thử</header>{_NAV}<main><h1>Đặc sản OCOP Lào Cai</h1>"
    f"{_RELATED}</main>{_FOOTER}</body></html>"
).encode()
ROBOTS = (b"User-agent: *\nDisallow: /gio-hang/\nDisallow: /tai-khoan/\nDisallow: /tim-kiem?\n"
          b"Allow: /\n\nSitemap: /sitemap.xml\n")

# ---------------------------------------------------------------- the server

REASONS = {200: "OK", 301: "Moved Permanently", 404: "Not Found", 405: "Method Not Allowed"}


class Shop:
    """Routes a path to (status, headers, body) and counts what it served."""

    def __init__(self, latency: float):
        self.latency = latency
        self.statuses: Counter = Counter()

    def answer(self, method: str, target: str) -> tuple[int, list[tuple[str, str]], bytes]:
        path = urlsplit(target).path
        html = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-cache")]
        if method not in ("GET", "HEAD"):
            return 405, [("Allow", "GET, HEAD")], b""
        if path == "/robots.txt":
            return 200, [("Content-Type", "text/plain; charset=utf-8")], ROBOTS
        if path == "/__stats":
            return 200, [("Content-Type", "application/json")], json.dumps(self.stats()).encode()
        if path == "/":
            return 200, html, HOME_PAGE
        if path.startswith("/san-pham/") and path.endswith(".html"):
            number = path[:-5].rsplit("-", 1)[-1]
            if number.isdigit():
                n = int(number)
                k = kind(n)
                if k == "gone":
                    return 404, html, NOT_FOUND_PAGE
                if k == "moved":
                    return 301, [("Location", "/"), ("Content-Length", "0")], b""
                return 200, html, product_page(n)
        return 404, html, NOT_FOUND_PAGE

    def stats(self) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"requests": sum(self.statuses.values()), "statuses": dict(self.statuses),
                "utime": usage.ru_utime, "stime": usage.ru_stime,
                "maxrss_mb": usage.ru_maxrss / 1024}


class Connection(asyncio.Protocol):
    """One keep-alive connection: requests are answered in order, each after the latency."""

    def __init__(self, shop: Shop):
        self.shop = shop
        self.buffer = b""
        self.transport = None
        self.queue: list[tuple[bytes, bool]] = []  # responses waiting for their latency
        self.closing = False

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.closing = True

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4:]
            lines = head.split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                self.transport.close()
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            self.buffer = self.buffer[length:]  # a GET has no body; skip one if sent
            connection = headers.get("connection", "").lower()
            close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
            self.respond(method, target, close)

    def respond(self, method: str, target: str, close: bool) -> None:
        status, headers, body = self.shop.answer(method, target)
        self.shop.statuses[status] += 1
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if not any(name == "Content-Length" for name, _ in headers):
            lines.append(f"Content-Length: {len(body)}")
        lines.append("Connection: close" if close else "Connection: keep-alive")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (
            b"" if method == "HEAD" else body)
        self.queue.append((data, close))
        asyncio.get_running_loop().call_later(self.shop.latency, self.flush)

    def flush(self) -> None:
        if self.closing or not self.queue:
            return
        data, close = self.queue.pop(0)
        self.transport.write(data)
        if close:
            self.closing = True
            self.transport.close()


async def serve(host: str, port: int, latency: float) -> None:
    shop = Shop(latency)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(shop), host, port, backlog=1024,
                                      reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(server.sockets[0].getsockname()[1], flush=True)  # the port, for whoever started us
    async with server:
        await stop.wait()
    print(json.dumps(shop.stats()), file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--latency", type=float, default=20.0, help="ms before each answer")
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.latency / 1000))


if __name__ == "__main__":
    main()
