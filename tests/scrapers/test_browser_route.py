"""The browser route on an imitation JavaScript marketplace: what only scripts show is read, and
nothing the page's scripts try reaches an address or a page it must not.

One Chromium serves the module (`route`); tests that need other settings start their own.
"""

import os
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from scrapers import engine
from scrapers.adapters import get as registry
from scrapers.browser import Browser, descendants
from scrapers.fetch import Fetcher
from scrapers.model import DECISIVE, Settings, Target

from .jsmarket import JsMarket, shell

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                allow_module_level=True)
pytest.importorskip("playwright.async_api")

SETTINGS = Settings(allowed_networks=("127.0.0.1/32",), robots=False, polite=False, retries=0,
                    backoff=0.01, connect_timeout=2.0, read_timeout=3.0, total_timeout=6.0,
                    concurrency=4, browser_js_heap_mb=64, browser_restart_pages=100)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shop():
    market = JsMarket()
    yield market
    market.close()


@pytest.fixture(scope="module")
def route(shop):
    """A fetcher and one browser for the whole module, the browser started (on a loaded
    machine Chromium's start alone can take most of a test listing's few seconds)."""
    with Fetcher(SETTINGS) as fetcher, Browser(SETTINGS) as browser:
        with Fetcher(replace(SETTINGS, total_timeout=60.0)) as patient:
            engine.check(patient, listing(shop, "/tra-sen-i.123.456", adapter="generic"),
                         registry, browser=browser)
        yield fetcher, browser


def listing(shop: JsMarket, path: str, *, adapter: str = "shopee", fetch: str = "browser",
            key=1) -> Target:
    return Target(key=key, url=shop.url(path), adapter=adapter, marketplace=adapter,
                  hosts=frozenset({shop.host}), fetch=fetch)


def check(route, target: Target):
    fetcher, browser = route
    return engine.check(fetcher, target, registry, browser=browser)


@pytest.mark.parametrize(("item", "verdict", "rule"), [
    ("456", "active", "api-stock"),
    ("457", "out_of_stock", "api-stock"),
    ("458", "removed", "soft-404"),
    ("459", "blocked", "captcha"),
    ("460", "blocked", "login-wall"),
])
def test_what_only_scripts_show_is_read(route, shop, item, verdict, rule):
    result = check(route, listing(shop, f"/tra-sen-i.123.{item}"))
    facts = result.evidence
    assert (result.verdict, facts["rule"]) == (verdict, rule), facts
    assert facts["route"] == "browser" and facts["final_url"] == shop.url(f"/tra-sen-i.123.{item}")
    if item == "456":  # the page's own API call, with the token its script computed
        assert "the page's own API call" in facts["detail"] and facts["title"] == (
            "Trà sen Phong Hải") and facts["price"] == 129_000
        assert facts["browser"]["settled"] and facts["browser"]["responses"] == 1
    if item == "459":  # the script redirect is a hop, never loaded
        assert facts["chain"][-1]["by"] == "script"
        assert not any(path.startswith("/verify") for path in shop.paths())
    # what a person can look at: a JPEG of the page as rendered, within the cap
    assert result.screenshot[:3] == b"\xff\xd8\xff"
    assert len(result.screenshot) <= SETTINGS.screenshot_max_bytes
    assert facts["browser"]["screenshot"] == {"taken": True, "bytes": len(result.screenshot),
                                              "quality": 70}


def test_a_screenshot_over_the_cap_is_left_out_and_the_verdict_stands(shop):
    config = replace(SETTINGS, screenshot_max_bytes=500, total_timeout=30.0)
    result = engine.check_one(listing(shop, "/tra-sen-i.123.456"), config)
    assert result.verdict == "active" and result.screenshot is None
    assert result.evidence["browser"]["screenshot"] == {"taken": False,
                                                        "why": "over 500 bytes at quality 25"}
    assert engine.check_one(listing(shop, "/tra-sen-i.123.456", fetch="http"),
                            config).screenshot is None  # the HTTP route takes none


def test_the_http_route_cannot_read_the_same_pages(route, shop):
    for item in ("456", "457", "458"):
        result = check(route, listing(shop, f"/tra-sen-i.123.{item}", fetch="http"))
        assert result.verdict not in DECISIVE, result.evidence
        assert "90309999" in result.evidence["detail"]  # the API's wall, and an empty shell
    generic = check(route, listing(shop, "/tra-sen-i.123.456", adapter="generic", fetch="http"))
    assert (generic.verdict, generic.evidence["rule"]) == ("unknown", "app-shell")
    rendered = check(route, listing(shop, "/tra-sen-i.123.456", adapter="generic"))
    assert (rendered.verdict, rendered.evidence["rule"]) == ("active", "phrase-in-stock")


def test_the_browser_says_who_it_is(route, shop):
    check(route, listing(shop, "/tra-sen-i.123.456"))
    api = [headers for path, headers in shop.seen if path.startswith("/api/v4/item/get")][-1]
    agent = api["User-Agent"]
    assert "Chrome/" in agent and "HeadlessChrome" not in agent
    assert agent.endswith(SETTINGS.user_agent)
    assert api["Accept-Language"].startswith("vi-VN")


def test_auto_falls_back_only_after_unknown_or_blocked(route, shop):
    result = check(route, listing(shop, "/tra-sen-i.123.457", fetch="auto"))
    assert result.verdict == "out_of_stock" and result.evidence["route"] == "browser"
    first, second = result.evidence["routes"]
    assert (first["route"], first["verdict"]) == ("http", "blocked")
    assert (second["route"], second["verdict"]) == ("browser", "out_of_stock")

    shop.page("/plain-i.123.456", b'<html><head><title>Tra</title><script type="application/'
              b'ld+json">{"@type": "Product", "name": "Tra", "offers": {"price": 1000, '
              b'"availability": "https://schema.org/InStock"}}</script></head></html>')
    before = shop.paths().count("/plain-i.123.456")
    decided = check(route, listing(shop, "/plain-i.123.456", adapter="generic", fetch="auto"))
    assert decided.verdict == "active" and decided.evidence["route"] == "http"
    assert "routes" not in decided.evidence and "browser" not in decided.evidence
    assert shop.paths().count("/plain-i.123.456") == before + 1  # the browser never asked


def test_nothing_the_page_tries_reaches_another_address_or_page(route, shop, raw_server):
    canaries = [raw_server(host="127.0.0.2"), raw_server(host="127.0.0.3")]
    elsewhere = JsMarket()  # allowed network, but not the marketplace's host
    try:
        two, three = (f"{c.host}:{c.port}" for c in canaries)
        script = textwrap.dedent(f"""
            fetch('http://{two}/fetch').catch(() => 0);
            fetch('https://{three}/tls').catch(() => 0);
            fetch('http://{elsewhere.host}/xhr-ok').catch(() => 0);
            new Image().src = 'http://{three}/img.png';
            try {{ new WebSocket('ws://{two}/ws'); }} catch (e) {{}}
            try {{ new WebSocket('ws://{three}/ws'); }} catch (e) {{}}
            const link = document.createElement('link');
            link.rel = 'prefetch'; link.href = 'http://{three}/prefetch';
            document.head.appendChild(link);
            const frame = document.createElement('iframe');
            frame.src = 'http://{two}/frame'; document.body.appendChild(frame);
            try {{ window.open('http://{two}/popup'); }} catch (e) {{}}
            document.getElementById('main').innerHTML = '<h1>Trà</h1><p>Còn hàng</p>';
            setTimeout(() => {{ location.href = 'http://{three}/evil'; }}, 100);
            setTimeout(() => {{ location.href = 'http://{elsewhere.host}/evil'; }}, 300);
            setTimeout(() => {{ location.href = 'file:///etc/passwd'; }}, 400);
        """)
        shop.page("/canary-i.123.456", shell(script))
        result = check(route, listing(shop, "/canary-i.123.456", adapter="generic"))
        facts = result.evidence
        assert [c.accepted for c in canaries] == [0, 0]
        assert "/evil" not in elsewhere.paths()
        assert result.verdict == "active" and facts["final_url"] == shop.url("/canary-i.123.456")
        refused = {entry["host"] for entry in facts["browser"]["refused"]}
        assert {"127.0.0.2", "127.0.0.3"} <= refused
        assert f"http://{three}/evil" in facts["browser"]["navigations_refused"]
        assert f"http://{elsewhere.host}/evil" in facts["browser"]["navigations_refused"]
    finally:
        elsewhere.close()


def test_a_page_that_never_settles_gets_an_answer_within_the_deadline(route, shop):
    shop.page("/busy-i.123.456", shell("setInterval(() => fetch('/poll?' + Math.random()), 50);"))
    started = time.monotonic()
    result = check(route, listing(shop, "/busy-i.123.456", adapter="generic"))
    # Unknown when the DOM was taken unsettled; on a loaded machine the deadline may pass
    # first (unreachable): never a verdict read off a page still loading.
    assert result.verdict in ("unknown", "unreachable"), result.evidence
    assert result.evidence.get("browser", {}).get("settled") is not True
    assert time.monotonic() - started < SETTINGS.total_timeout + 1


@pytest.mark.parametrize("adapter", ["generic", "shopee"])  # a fresh tab, a warm one
def test_a_page_that_eats_memory_does_not_stop_the_run(route, shop, adapter):
    shop.page("/hog-i.123.456", shell(
        "const hog = []; while (true) { hog.push(new Array(1e5).fill({a: Math.random()})); }"))
    _, browser = route
    with Fetcher(replace(SETTINGS, total_timeout=30.0)) as patient:  # time to run out of heap
        result = engine.check(patient, listing(shop, "/hog-i.123.456", adapter=adapter),
                              registry, browser=browser)
    assert (result.verdict, result.evidence["rule"]) == ("unknown", "fetch-browser_crashed")
    after = check(route, listing(shop, "/tra-sen-i.123.456"))
    assert after.verdict == "active"


# What a page finds stored, then stores: a cookie, local and session storage, an IndexedDB.
MEMO = """
(async () => {
  const found = () => Promise.resolve(indexedDB.databases()).then(dbs => [
    document.cookie, localStorage.getItem('k'), sessionStorage.getItem('k'),
    dbs.map(db => db.name).join(',')].join('|'));
  const before = await found();
  document.cookie = 'k=1; path=/';
  localStorage.setItem('k', '1');
  sessionStorage.setItem('k', '1');
  await new Promise(done => { indexedDB.open('memo').onsuccess = done; });
  document.getElementById('main').innerHTML =
    '<p id="before">' + before + '</p><p id="after">' + (await found()) + '</p>';
})();
"""


def rendered(route, target: Target) -> tuple[str, dict]:
    """The DOM the browser route hands the adapter, and what the browser saw."""
    fetcher, browser = route
    visit = fetcher.visit(target)
    try:
        page, seen = browser.render(target, visit(target.url), visit.deadline, "#after",
                                    visit.cookies, warm=registry(target.adapter).browser_warm)
    finally:
        visit.close()
    return page.text(), seen


def test_a_warm_tab_carries_nothing_a_page_stored_to_the_next_listing(route, shop):
    shop.page("/memo-i.123.456", shell(MEMO))
    target = listing(shop, "/memo-i.123.456")  # Shopee's adapter asks for a warm tab
    first, seen = rendered(route, target)
    assert seen["warm"]
    assert '<p id="after">k=1|1|1|memo</p>' in first  # the page did store all four
    for _ in range(2):
        again, seen_again = rendered(route, target)
        assert seen_again["warm"]
        assert '<p id="before">|||</p>' in again, again
    fresh, seen_fresh = rendered(route, listing(shop, "/memo-i.123.456", adapter="generic"))
    assert not seen_fresh["warm"] and '<p id="before">|||</p>' in fresh


def test_a_warm_tab_counts_each_listings_bytes_on_its_own(route, shop):
    counts = [check(route, listing(shop, "/tra-sen-i.123.456")).evidence["browser"]["bytes"]
              for _ in range(3)]
    assert counts[0] > 0 and max(counts) < 1.5 * min(counts), counts


def test_robots_keep_the_browser_off_a_listing(shop):
    shop.robots = "User-agent: *\nDisallow: /cam-\n"
    try:
        result = engine.check_one(listing(shop, "/cam-i.123.456"), replace(SETTINGS, robots=True))
    finally:
        shop.robots = ""
    assert (result.verdict, result.evidence["rule"]) == ("blocked", "fetch-robots")
    assert not any(path.startswith("/cam-") for path in shop.paths())


def test_without_chromium_the_listing_is_unknown_and_says_why(shop):
    config = replace(SETTINGS, browser_executable="/nonexistent/chromium")
    results = list(engine.check_many([listing(shop, "/tra-sen-i.123.456", key=k)
                                      for k in (1, 2)], config))
    assert [(r.verdict, r.evidence["rule"]) for r in results] == [
        ("unknown", "fetch-browser_missing")] * 2
    assert "/nonexistent/chromium" in results[0].evidence["detail"]


def test_check_many_closes_its_browser(shop):
    targets = [listing(shop, f"/tra-sen-i.123.{item}", key=n)
               for n, item in enumerate(["456", "457", "456"])]
    before = set(descendants())
    results = list(engine.check_many(targets, replace(SETTINGS, total_timeout=30.0)))
    assert sorted(r.verdict for r in results) == ["active", "active", "out_of_stock"]
    assert set(descendants()) <= before  # Playwright's driver and every Chromium are gone


@pytest.mark.parametrize("limit", [{"browser_restart_pages": 2}, {"browser_max_rss_mb": 1}])
def test_the_browser_is_restarted_after_n_pages_or_above_its_memory_cap(shop, limit):
    config = replace(SETTINGS, total_timeout=30.0, **limit)
    with Fetcher(config) as fetcher, Browser(config) as browser:
        verdicts = [engine.check(fetcher, listing(shop, "/tra-sen-i.123.456"), registry,
                                 browser=browser).verdict for _ in range(3)]
        assert verdicts == ["active"] * 3
        assert browser.launches == (2 if "browser_restart_pages" in limit else 3)


CHILD = """
import sys
from scrapers import engine
from scrapers.model import Settings, Target
host = sys.argv[1]
settings = Settings(allowed_networks=("127.0.0.1/32",), robots=False, polite=False,
                    total_timeout=120)
target = Target(1, f"http://{host}/busy-i.123.456", "generic", "cho", frozenset({host}),
                fetch="browser")
list(engine.check_many([target], settings))
"""


def test_no_chromium_outlives_a_killed_process(shop):
    shop.page("/busy-i.123.456", shell("setInterval(() => fetch('/poll?' + Math.random()), 50);"))
    child = subprocess.Popen([sys.executable, "-c", CHILD, shop.host], cwd=ROOT)
    try:
        browsers: list[int] = []
        give_up = time.monotonic() + 30
        while not browsers and time.monotonic() < give_up:
            time.sleep(0.2)
            browsers = [pid for pid in descendants(child.pid) if _is_chromium(pid)]
        assert browsers, "the child never started Chromium"
        time.sleep(0.5)
        tree = descendants(child.pid)
    finally:
        child.kill()
        child.wait()
    give_up = time.monotonic() + 15
    while time.monotonic() < give_up and any(_alive(pid) for pid in tree):
        time.sleep(0.2)
    assert not [pid for pid in tree if _alive(pid)]


def _is_chromium(pid: int) -> bool:
    try:
        return b"chromium" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its reaper does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _browsers() -> int:
    """Chromiums this process started, told apart by the marker on their command line."""
    markers = set()
    for pid in descendants():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                words = cmdline.read().split(b"\0")
        except OSError:
            continue
        markers.update(w for w in words if w.startswith(b"--ocop-browser="))
    return len(markers)


def test_runs_at_the_same_time_in_one_process_share_one_browser(shop):
    """A web process without Redis runs each check it starts in a thread of its own."""
    config = replace(SETTINGS, total_timeout=30.0)
    targets = [listing(shop, f"/tra-sen-i.123.{item}", key=n)
               for n, item in enumerate(["456", "457", "456", "457"])]
    before = _browsers()
    seen, verdicts = [], []
    runs = [threading.Thread(target=lambda: verdicts.extend(
        r.verdict for r in engine.check_many(targets, config))) for _ in range(2)]
    for run in runs:
        run.start()
    while any(run.is_alive() for run in runs):
        seen.append(_browsers() - before)
        time.sleep(0.05)
    assert sorted(verdicts) == ["active"] * 4 + ["out_of_stock"] * 4
    assert max(seen) == 1
    assert _browsers() == before  # closed with the last run
