"""What every imitation open platform shares: a real HTTP server on 127.0.0.1 in a thread, its
clock, shops and their items, single-use authorization codes, access tokens that expire and
refresh tokens that are spent on use, revocation, and the page where a seller consents.

A platform's imitation (shopee.py here; TikTok Shop's and Lazada's in tests/openplatform/) adds
its routes, its signature check and its error shapes. Tokens and codes are random; nothing about
them is predictable by a client. The tests serve them on a free port and use the knobs (`broken`,
`offset`, `expire_tokens`, `revoke`, `calls`); `ocop serve-demo` serves Shopee's on a fixed one.

SAMPLE DATA: the consent page says so; no real marketplace is involved.
"""

import html
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from werkzeug import Request, Response

from ..sample_markets import HOST, SAMPLE

CONSENT_PATH = "/_imitation/consent"


@dataclass
class Shop:
    """A seller's shop: `items` maps an item id to its status, stock, price and title."""

    shop_id: str
    name: str
    items: dict[str, dict] = field(default_factory=dict)


class Imitation:
    """The shared machinery; subclasses name their platform (NAME), route requests in `answer`
    and name the seller's way back in `back_query`."""

    NAME = "sàn"

    ACCESS_SECONDS = 4 * 3600
    REFRESH_SECONDS = 30 * 86400
    CODE_SECONDS = 600
    CLOCK_SKEW = 300  # seconds a request's timestamp may differ from the server's clock

    def __init__(self, port: int = 0):
        self.port = port  # 0: a free one, chosen when the server starts
        self.server = None
        self.shops: dict[str, Shop] = {}
        self.codes: dict[str, tuple[str, float]] = {}  # code -> (shop id, issued)
        self.access: dict[str, tuple[str, float]] = {}  # token -> (shop id, expires)
        self.refreshes: dict[str, tuple[str, float]] = {}  # token -> (shop id, expires)
        self.pending: dict[str, dict] = {}  # consent ticket -> the authorization asked for
        self.calls: list[tuple[str, dict]] = []  # (path, query) of every request
        # path -> (HTTP status, body, content type) answered instead of the platform's own
        # answer: a broken gateway, a changed answer shape.
        self.broken: dict[str, tuple[int, str, str]] = {}
        self.offset = 0.0  # seconds the server's clock runs ahead of the machine's

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        """Listen (OSError when the port is taken) and answer from a daemon thread."""
        self.server = make_server(HOST, self.port, Request.application(self._handle),
                                  server_class=_Server, handler_class=_Quiet)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def now(self) -> float:
        return time.time() + self.offset

    # -- the shops ---------------------------------------------------------------------------
    def add_shop(self, shop_id: str, name: str = "", items: dict | None = None) -> Shop:
        """A shop whose `items` map item ids to `item(...)`s."""
        shop = Shop(str(shop_id), name or f"Gian hàng {shop_id}",
                    {str(key): value for key, value in (items or {}).items()})
        self.shops[shop.shop_id] = shop
        return shop

    # -- codes and tokens --------------------------------------------------------------------
    def issue_code(self, shop_id: str) -> str:
        code = secrets.token_hex(16)
        self.codes[code] = (shop_id, self.now())
        return code

    def take_code(self, code: str, shop_id: str | None = None) -> str | None:
        """The shop a fresh, unused code was issued for (spent now); None otherwise."""
        issued = self.codes.pop(code, None)
        if issued is None or self.now() - issued[1] > self.CODE_SECONDS:
            return None
        if shop_id is not None and issued[0] != str(shop_id):
            return None
        return issued[0]

    def issue_tokens(self, shop_id: str) -> tuple[str, str]:
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.access[access] = (shop_id, self.now() + self.ACCESS_SECONDS)
        self.refreshes[refresh] = (shop_id, self.now() + self.REFRESH_SECONDS)
        return access, refresh

    def shop_of_access(self, token: str) -> str | None:
        """The shop a live access token belongs to."""
        held = self.access.get(token)
        return held[0] if held and held[1] > self.now() else None

    def take_refresh(self, token: str, shop_id: str | None = None) -> tuple[str, str | None]:
        """("ok", shop id) for a live refresh token (spent now), ("expired", None) for one past
        its lifetime, ("invalid", None) for one spent, revoked, unknown or another shop's."""
        held = self.refreshes.get(token)
        if held is None or (shop_id is not None and held[0] != str(shop_id)):
            return "invalid", None
        if held[1] <= self.now():
            return "expired", None
        del self.refreshes[token]
        return "ok", held[0]

    def expire_tokens(self) -> None:
        """Every access token issued so far lapses now."""
        self.access = {token: (shop, self.now() - 1) for token, (shop, _) in self.access.items()}

    def expire_refresh(self) -> None:
        """Every refresh token issued so far lapses now (and so every access token)."""
        self.expire_tokens()
        self.refreshes = {t: (shop, self.now() - 1) for t, (shop, _) in self.refreshes.items()}

    def revoke(self, shop_id: str) -> None:
        """The seller cancels the authorization: the shop's tokens stop working."""
        self.access = {t: v for t, v in self.access.items() if v[0] != str(shop_id)}
        self.refreshes = {t: v for t, v in self.refreshes.items() if v[0] != str(shop_id)}

    def fresh(self, timestamp: str | None) -> bool:
        """Whether a request's timestamp (Unix seconds) is within the clock skew allowed."""
        return bool(timestamp and timestamp.isdigit()
                    and abs(int(timestamp) - self.now()) <= self.CLOCK_SKEW)

    # -- the seller's consent ----------------------------------------------------------------
    def consent_page(self, redirect: str, state: str = "") -> Response:
        """The page where the seller picks a shop and authorizes the app (a form posting to the
        consent path), for a link that passed the platform's checks."""
        ticket = secrets.token_hex(8)
        self.pending[ticket] = {"redirect": redirect, "state": state}
        options = "".join(f'<option value="{html.escape(s.shop_id)}">{html.escape(s.name)}'
                          f"</option>" for s in self.shops.values())
        page = (f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>Ủy quyền — {self.NAME} (mẫu)</title><style>{CONSENT_STYLE}</style></head>"
                f'<body><p class="sample">{SAMPLE}: trang ủy quyền giả lập của {self.NAME}, '
                f"không phải sàn thật.</p><main><h1>Ủy quyền cho ứng dụng</h1>"
                f"<p>Ứng dụng của Sở xin quyền xem các sản phẩm trong gian hàng bạn chọn: còn "
                f"bán hay không, số hàng còn và giá. Ứng dụng không xem đơn hàng hay người "
                f"mua.</p>"
                f'<form method="post" action="{CONSENT_PATH}">'
                f'<input type="hidden" name="ticket" value="{ticket}">'
                f'<label>Gian hàng <select name="shop_id">{options}</select></label>'
                f'<button type="submit" name="answer" value="yes">Đồng ý</button> '
                f'<button type="submit" name="answer" value="no" class="no">Từ chối</button>'
                f"</form></main></body></html>")
        return Response(page, content_type="text/html; charset=utf-8")

    def _consent(self, request: Request) -> Response:
        """The seller's answer: back to the app's redirect with a code (or the refusal)."""
        pending = self.pending.pop(request.form.get("ticket", ""), None)
        shop_id = request.form.get("shop_id", "")
        if pending is None or shop_id not in self.shops:
            return Response("Phiên ủy quyền không hợp lệ", status=400)
        if request.form.get("answer") != "yes":
            params = {"error": "access_denied"}
        else:
            params = self.back_query(self.issue_code(shop_id), shop_id, pending["state"])
        return Response(status=302, headers={"Location": with_query(pending["redirect"], params)})

    def consent(self, auth_url: str, shop_id: str, answer: str = "yes") -> str:
        """What a seller's browser does: open the authorization link, choose `shop_id`, answer;
        the URL the seller is sent back to."""
        page = requests.get(auth_url, timeout=5)
        page.raise_for_status()
        ticket = re.search(r'name="ticket" value="(\w+)"', page.text)
        if ticket is None:
            raise LookupError(f"no consent form: {page.text[:300]}")
        back = requests.post(f"{self.base}{CONSENT_PATH}", timeout=5, allow_redirects=False,
                             data={"ticket": ticket[1], "shop_id": shop_id, "answer": answer})
        if back.status_code != 302:
            raise LookupError(f"consent refused: HTTP {back.status_code} {back.text[:300]}")
        return back.headers["Location"]

    def back_query(self, code: str, shop_id: str, state: str) -> dict:
        raise NotImplementedError

    # -- routing -----------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        self.calls.append((request.path, dict(request.args)))
        if request.path in self.broken:
            status, body, kind = self.broken[request.path]
            return Response(body, status=status, content_type=kind)
        if request.path == CONSENT_PATH and request.method == "POST":
            return self._consent(request)
        return self.answer(request)

    def answer(self, request: Request) -> Response:
        raise NotImplementedError


def item(status: str, stock: int | None = 10, price: int | None = 150_000,
         title: str = "Chè Bát tiên Hướng Tâm") -> dict:
    """An item of an imitation shop, in the platform's own status words."""
    return {"status": status, "stock": stock, "price": price, "title": title}


def with_query(url: str, params: dict) -> str:
    """`url` with `params` added to the query it already has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


# Readable on a phone; the sample banner stands out as the sample marketplaces' pages do.
CONSENT_STYLE = ("body{font:18px/1.5 sans-serif;margin:0}main{max-width:32rem;margin:0 auto;"
                 "padding:1rem}.sample{background:#fff3cd;margin:0;padding:.75rem 1rem;"
                 "font-weight:bold}select,button{font:inherit;padding:.5rem 1rem;margin:.5rem 0}"
                 "select{display:block;width:100%}button{background:#ee4d2d;color:#fff;"
                 "border:0;border-radius:4px}button.no{background:#ddd;color:#000}")


# The standard library's WSGI server, one thread a request: it raises OSError for a port in
# use (werkzeug's exits the process instead).
class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    """No line per request: the tests' and the demo app's own logs are enough."""

    def log_message(self, *args) -> None:
        pass
