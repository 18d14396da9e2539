"""TikTok Shop and Lazada on the browser route: imitation pages whose product, stock, sold-out
or not-found notice and captcha appear only after their scripts ran, read by the marketplaces'
own adapters; the HTTP route, on the very same pages, decides nothing.

The imitations follow what shoppers see (DOMAIN.md: TikTok Shop "assume blocked without a
browser", Lazada's slider captcha on `/_____tmd_____/punish`); the data endpoints their scripts
call are invented here, since neither marketplace's is publicly known, and the adapters do not
read them: they read the rendered page (see the assumptions in scrapers/adapters/tiktok.py and
lazada.py).
"""

import json
import os
from pathlib import Path

import pytest

from scrapers import engine
from scrapers.adapters import get as registry
from scrapers.browser import Browser
from scrapers.fetch import Fetcher
from scrapers.model import DECISIVE, Settings, Target

from .jsmarket import JsMarket, shell

if not Path("/usr/bin/chromium").exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                allow_module_level=True)
pytest.importorskip("playwright.async_api")

SETTINGS = Settings(allowed_networks=("127.0.0.1/32",), robots=False, polite=False, retries=0,
                    backoff=0.01, connect_timeout=2.0, read_timeout=3.0, total_timeout=15.0,
                    concurrency=4, browser_js_heap_mb=64, browser_restart_pages=100)

# What each imitation item's data says once the page's script asked for it.
ITEMS = {
    "1001": {"name": "Trà hoa sen Phong Hải", "price": 129000, "stock": 7},
    "1002": {"name": "Mận Tam hoa sấy dẻo", "price": 85000, "stock": 0},
    "1003": "gone",
    "1004": "captcha",
}

# TikTok Shop: an empty shell; the script asks for the item and draws it, a "not exist" notice,
# or the slider captcha in the page itself.
TIKTOK_SCRIPT = """
const id = location.pathname.match(/product\\/(\\d+)/)[1];
fetch('/imitation/tiktok/' + id + '.json').then(r => r.json()).then(d => {
  const main = document.getElementById('main');
  if (d.state === 'gone') { main.innerHTML = '<div class="empty"><p>Sản phẩm không tồn tại' +
      '</p><a href="/">Khám phá thêm</a></div>'; return; }
  if (d.state === 'captcha') { main.innerHTML = '<div class="captcha"><p>Kéo thanh trượt ' +
      'để xác minh</p><div class="slider"></div></div>'; return; }
  main.innerHTML = '<h1>' + d.name + '</h1><div class="price">' +
      d.price.toLocaleString('vi-VN') + '₫</div>' +
      (d.stock > 0 ? '<button>Mua ngay</button><button>Thêm vào giỏ hàng</button>'
                   : '<div class="sold-out">Hết hàng</div>');
});
"""

# Lazada: an empty shell (no module JSON inline); the script asks for the item and draws it, a
# not-found notice, or sends the shopper to the slider captcha page.
LAZADA_SCRIPT = """
const id = location.pathname.match(/-i(\\d+)/)[1];
fetch('/imitation/lazada/' + id + '.json').then(r => r.json()).then(d => {
  const main = document.getElementById('main');
  if (d.state === 'captcha') { location.href = '/_____tmd_____/punish?x5secdata=' + id; return; }
  if (d.state === 'gone') { main.innerHTML = '<h2>Rất tiếc, sản phẩm không còn tồn tại</h2>';
      return; }
  main.innerHTML = '<h1 class="pdp-title">' + d.name + '</h1><span class="pdp-price">₫ ' +
      d.price.toLocaleString('vi-VN') + '</span>' +
      (d.stock > 0 ? '<button>Mua ngay</button><button>Thêm vào giỏ hàng</button>'
                   : '<p>Hết hàng</p>');
});
"""


def bundle(name: str) -> str:
    """The page's application script, loaded from the marketplace's host as real pages do."""
    return f'<script src="/static/{name}-pdp.js" defer></script>'


@pytest.fixture(scope="module")
def shop():
    """One imitation server holding both marketplaces' pages."""
    market = JsMarket()
    for item, data in ITEMS.items():
        body = json.dumps(data if isinstance(data, dict) else {"state": data}).encode()
        for name in ("tiktok", "lazada"):
            market.page(f"/imitation/{name}/{item}.json", body, content_type="application/json")
        market.page(f"/view/product/{item}", shell("", title="TikTok Shop", head=bundle("tiktok")))
        market.page(f"/products/che-i{item}-s9{item}.html",
                    shell("", title="Lazada", head=bundle("lazada")))
    for name, script in (("tiktok", TIKTOK_SCRIPT), ("lazada", LAZADA_SCRIPT)):
        market.page(f"/static/{name}-pdp.js", script.encode(), content_type="text/javascript")
    yield market
    market.close()


@pytest.fixture(scope="module")
def route():
    with Fetcher(SETTINGS) as fetcher, Browser(SETTINGS) as browser:
        yield fetcher, browser


def listing(shop: JsMarket, adapter: str, item: str, fetch: str = "browser") -> Target:
    path = (f"/view/product/{item}?region=VN&locale=vi-VN" if adapter == "tiktok"
            else f"/products/che-i{item}-s9{item}.html")
    return Target(key=item, url=shop.url(path), adapter=adapter, marketplace=adapter,
                  hosts=frozenset({shop.host}), item_id=item, fetch=fetch)


def check(route, target: Target):
    fetcher, browser = route
    return engine.check(fetcher, target, registry, browser=browser)


@pytest.mark.parametrize("adapter", ["tiktok", "lazada"])
@pytest.mark.parametrize(("item", "verdict", "rule"), [
    ("1001", "active", "phrase-in-stock"),
    ("1002", "out_of_stock", "phrase-out-of-stock"),
    ("1003", "removed", "soft-404"),
    ("1004", "blocked", "captcha"),
])
def test_what_only_scripts_show_is_read(route, shop, adapter, item, verdict, rule):
    result = check(route, listing(shop, adapter, item))
    facts = result.evidence
    assert (result.verdict, facts["rule"]) == (verdict, rule), facts
    assert facts["route"] == "browser"
    if item == "1001":
        assert facts["title"] in ("TikTok Shop", "Lazada")  # the shell's own title
    if adapter == "lazada" and item == "1004":  # the script's redirect is a hop, never loaded
        assert facts["chain"][-1]["by"] == "script"
        assert not any(path.startswith("/_____tmd_____") for path in shop.paths())


@pytest.mark.parametrize("adapter", ["tiktok", "lazada"])
def test_the_http_route_decides_nothing_on_the_same_pages(route, shop, adapter):
    for item in ITEMS:
        result = check(route, listing(shop, adapter, item, fetch="http"))
        assert result.verdict not in DECISIVE, result.evidence
        assert (result.verdict, result.evidence["rule"]) == ("unknown", "app-shell")


def test_auto_reads_them_with_the_browser_after_http_saw_a_shell(route, shop):
    result = check(route, listing(shop, "tiktok", "1002", fetch="auto"))
    first, second = result.evidence["routes"]
    assert (first["verdict"], first["rule"]) == ("unknown", "app-shell")
    assert (second["verdict"], result.verdict) == ("out_of_stock", "out_of_stock")
