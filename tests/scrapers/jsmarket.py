"""An imitation JavaScript marketplace on 127.0.0.1, for the browser route's tests and bench.

Shaped after DOMAIN.md's description of Shopee: the HTML is an empty app shell; the page's
script computes a request token and calls `/api/v4/item/get`, which answers a call without the
token with HTTP 200 and `{"error": 90309999}`; the product, its stock, the "does not exist"
notice, a login wall or a redirect to a captcha page appear only after the script ran.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SHOP = "123"
# Items of the imitation shop: what its API says with the right token, and what its page shows.
ITEMS = {
    "456": {"name": "Trà sen Phong Hải", "stock": 12, "price": 12_900_000_000},
    "457": {"name": "Trà hoa nhài Phong Hải", "stock": 0, "price": 9_900_000_000},
    "458": "deleted",  # the API errs, the page says the product does not exist
    "459": "captcha",  # the page's script sends the shopper to a verify page
    "460": "login",  # the page's script draws a login wall
}
TOKEN_SCRIPT = "btoa(shop + '.' + item).split('').reverse().join('')"


def token(shop: str, item: str) -> str:
    """The token the page's script computes, as the API checks it."""
    import base64

    return base64.b64encode(f"{shop}.{item}".encode()).decode()[::-1]


def shell(script: str, title: str = "Shopee Việt Nam | Mua và Bán Trên Ứng Dụng Di Động",
          padding: int = 0, head: str = "") -> bytes:
    """An app shell: no product in the HTML, `script` draws it (`padding` bytes of dead code
    make the page as heavy as a real one)."""
    dead = f"<script>/*{'x' * padding}*/</script>" if padding else ""
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title>'
            f'{head}</head><body><div id="main"></div>{dead}<script>{script}</script></body></html>'
            ).encode()


SHOPEE_SCRIPT = """
const m = location.pathname.match(/i\\.(\\d+)\\.(\\d+)/);
const shop = m[1], item = m[2];
fetch('/api/v4/item/get?shopid=' + shop + '&itemid=' + item,
      {headers: {'x-sap-sec': TOKEN}})
  .then(r => r.json()).then(body => {
    const main = document.getElementById('main');
    const d = body.data;
    if (body.action === 'verify') { location.href = '/verify/traffic?is_initial=true'; return; }
    if (body.action === 'login') {
      main.innerHTML = '<h2>Vui lòng đăng nhập</h2><form><input name="u">' +
                       '<input type="password" name="p"></form>';
      return;
    }
    if (!d) { main.innerHTML = '<div class="product-not-exist">' +
              '<p>Sản phẩm này không tồn tại</p></div>'; return; }
    main.innerHTML = '<h1>' + d.name + '</h1><div class="price">₫' +
      (d.price / 100000).toLocaleString('vi-VN') + '</div>' +
      (d.stock > 0 ? '<button>Thêm vào giỏ hàng</button><button>Mua ngay</button>'
                   : '<div>Sản phẩm đã hết hàng</div>');
  });
""".replace("TOKEN", TOKEN_SCRIPT)


class JsMarket:
    """The imitation shop: a threaded server whose routes a test sets; every request seen."""

    def __init__(self, host: str = "127.0.0.1", api_delay: float = 0.0, padding: int = 0,
                 vendor: int = 0, port: int = 0):
        """`padding` bytes of dead code in each shell, a `vendor` script of that many bytes
        loaded by each (benchmarks: pages as heavy as a real one), `api_delay` seconds before
        the item API answers."""
        self.routes: dict[str, object] = {}
        self.seen: list[tuple[str, dict]] = []  # (path with query, headers)
        self.lock = threading.Lock()
        self.api_delay = api_delay
        self.padding = padding
        self.vendor = b"/*" + b"v" * max(vendor - 4, 0) + b"*/" if vendor else b""
        self.robots = ""
        market = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with market.lock:
                    market.seen.append((self.path, dict(self.headers)))
                answer = market.answer(self)
                status, headers, body = answer
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.host = f"{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def paths(self) -> list[str]:
        with self.lock:
            return [path for path, _ in self.seen]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def page(self, path: str, body: bytes, status: int = 200,
             content_type: str = "text/html; charset=utf-8") -> None:
        """Serve `body` at `path` (any query)."""
        self.routes[path] = (status, {"Content-Type": content_type}, body)

    def answer(self, request: BaseHTTPRequestHandler) -> tuple[int, dict, bytes]:
        parts = urlsplit(request.path)
        if parts.path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, self.robots.encode()
        if parts.path == "/api/v4/item/get":
            return self.item_api(parse_qs(parts.query), request.headers)
        if parts.path == "/static/vendor.js" and self.vendor:
            return 200, {"Content-Type": "text/javascript"}, self.vendor
        if parts.path.startswith("/poll"):
            return 200, {"Content-Type": "application/json"}, b"{}"
        route = self.routes.get(parts.path)
        if callable(route):
            return route(request)
        if route is not None:
            return route
        if "-i." in parts.path:  # any Shopee-shaped listing: the app shell
            script = '<script src="/static/vendor.js"></script>' if self.vendor else ""
            return 200, {"Content-Type": "text/html; charset=utf-8"}, shell(
                SHOPEE_SCRIPT, padding=self.padding, head=script)
        return 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"

    def item_api(self, query: dict, headers) -> tuple[int, dict, bytes]:
        """The item API: the anti-bot error without the page's token, the item with it."""
        if self.api_delay:
            threading.Event().wait(self.api_delay)
        shop, item = query.get("shopid", [""])[0], query.get("itemid", [""])[0]
        kind = {"Content-Type": "application/json"}
        if headers.get("x-sap-sec") != token(shop, item):
            return 200, kind, json.dumps({"error": 90309999, "is_customized": False}).encode()
        data = ITEMS.get(item, "deleted")
        if data == "deleted":
            body = {"error": 4, "error_msg": None, "data": None}
        elif data in ("captcha", "login"):
            body = {"error": 90309999, "action": "verify" if data == "captcha" else "login"}
        else:
            body = {"error": None, "data": {"itemid": int(item), "shopid": int(shop),
                                            "item_status": "normal", **data}}
        return 200, kind, json.dumps(body).encode()
