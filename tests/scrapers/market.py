"""An imitation marketplace on the scrapers' local test server, for every adapter: where each
one's listings live, and a `check` through the real engine."""

import json
from urllib.parse import urlsplit

from pytest_httpserver import HTTPServer

from scrapers.engine import check_one
from scrapers.model import Settings, Target

SETTINGS = Settings(allowed_networks=("127.0.0.1/32",), polite=False, robots=False, retries=0,
                    backoff=0.01, connect_timeout=2.0, read_timeout=2.0, total_timeout=10.0)
HTML = "text/html; charset=utf-8"

# Per adapter: the listing, the same item under a new slug, another item of the marketplace.
PATHS = {
    "generic": ("/sp/tra-sen", "/sp/tra-sen-moi", None),
    "shopee": ("/tra-sen-i.123.456", "/tra-sen-moi-i.123.456", "/khac-i.123.999"),
    "lazada": ("/products/tra-sen-i4000001-s5000001.html",
               "/products/tra-moi-i4000001-s5000009.html", "/products/khac-i4000002-s1.html"),
    "tiki": ("/tra-sen-p789.html?spid=11", "/tra-moi-p789.html?spid=12", "/khac-p790.html"),
    "tiktok": ("/view/product/1729?region=VN", "/vn/pdp/tra-sen/1729", "/view/product/1730"),
    "sendo": ("/tra-sen-12345.html", "/tra-moi-12345.html", "/khac-12346.html"),
    "postmart": ("/p/tra-sen-100001.html", "/p/tra-moi-100001.html", "/p/khac-100002.html"),
    "voso": ("/tra-sen-p200002.html", "/tra-moi-p200002.html", "/khac-p200003.html"),
}
ALL = list(PATHS)
API = {"shopee": "/api/v4/item/get", "tiki": "/api/v2/products/789"}


class Market:
    """An imitation marketplace on the test server."""

    def __init__(self, server: HTTPServer):
        self.server = server
        self.host = f"127.0.0.1:{server.port}"

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def page(self, path: str, body, status: int = 200, content_type: str = HTML, headers=None):
        """Serve `body` at `path` (any query)."""
        self.server.expect_request(urlsplit(path).path).respond_with_data(
            body, status=status, content_type=content_type, headers=headers)

    def json(self, path: str, data, status: int = 200, query=None):
        """Serve JSON (or raw text) at `path`."""
        body = data if isinstance(data, str | bytes) else json.dumps(data)
        self.server.expect_request(path, query_string=query).respond_with_data(
            body, status=status, content_type="application/json")

    def redirect(self, path: str, to: str, status: int = 301):
        """Redirect `path` to `to` on the same server."""
        self.server.expect_request(urlsplit(path).path).respond_with_data(
            "", status=status, headers={"Location": self.url(to)})

    def quiet_api(self, adapter: str):
        """Make the adapter's API answer something that tells nothing (an HTML 404)."""
        if adapter in API:
            self.server.expect_request(API[adapter]).respond_with_data(
                "<h1>Not Found</h1>", status=404, content_type="text/html")

    def check(self, adapter: str, path: str | None = None):
        """Run the real engine on the adapter's listing (or `path`)."""
        path = path or PATHS[adapter][0]
        target = Target(key=1, url=self.url(path), adapter=adapter, marketplace=adapter,
                        hosts=frozenset({self.host}))
        return check_one(target, SETTINGS)
