"""The demo: sample marketplaces checked through the real engine, the sample history, `ocop demo`
run twice, the narrow exception for the sample marketplaces, a port already taken, the sample
Shopee Open Platform a demo producer connects the sample shop through, and the officer's
attestation."""

import io
import random
import socket
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import func, select

from ocop import sample_platforms
from ocop.checks import runner
from ocop.dashboard import figures, snapshot
from ocop.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from ocop.extensions import db
from ocop.localtime import local_date, month_of
from ocop.models import (
    Attestation,
    Check,
    CheckRun,
    Listing,
    ListingMonth,
    Marketplace,
    MonthClose,
    ShareCell,
    ShopConnection,
    User,
    utcnow,
)
from ocop.sample_history import MONTHS, ORIGIN
from ocop.sample_markets import SAMPLE, SHELVES, PortTaken, SampleMarkets, endpoints
from scrapers.engine import check_many
from scrapers.guard import Guard
from scrapers.model import FetchError, Settings, Target
from scrapers.openplatform.shopee import AUTH_PATH

# The verdict each kind of sample page gets from the engine.
VERDICT = {"on_sale": "active", "slow": "active", "scripted": "active",
           "sold_out": "out_of_stock", "gone": "removed", "captcha": "blocked",
           "down": "unreachable", "walled": "blocked"}


@pytest.fixture(scope="module")
def markets():
    """The sample marketplaces and the sample Shopee Open Platform on six free ports (a random
    base, tried until one is free)."""
    for _ in range(20):
        served = SampleMarkets(random.randrange(20000, 40000))
        try:
            served.start()
        except PortTaken:
            continue
        try:
            platform = sample_platforms.serve(served.first_port)
        except PortTaken:
            served.stop()
            continue
        yield served
        platform.stop()
        served.stop()
        return
    pytest.fail("no six free ports")


@pytest.fixture
def app_overrides(markets) -> dict:
    """The settings `make run` gives the app (the test client's address is localhost)."""
    platform = sample_platforms.base(markets.first_port)
    return {"SAMPLE_MARKETS_PORT": markets.first_port,
            "SCRAPER_ALLOWED_ENDPOINTS": ",".join(endpoints(markets.first_port)),
            "SCRAPER_POLITE": False, "SCRAPER_RETRIES": 1, "SCRAPER_BACKOFF": 0.01,
            "REMOVAL_CONFIRM_SECONDS": 0.3, "PUBLIC_URL": "http://localhost",
            "SHOPEE_PARTNER_ID": sample_platforms.PARTNER_ID,
            "SHOPEE_PARTNER_KEY": sample_platforms.PARTNER_KEY,
            "SHOPEE_API_BASE": platform, "SHOPEE_AUTH_BASE": platform}


@pytest.fixture
def run(app):
    runner_ = app.test_cli_runner()
    return lambda *args: runner_.invoke(args=["ocop", *args])


def counts() -> tuple:
    """What `ocop demo` writes, counted."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Listing, CheckRun, Check, MonthClose, ListingMonth, ShareCell,
                               Attestation))


def test_demo_writes_24_closed_months_once(app, run):
    first = run("demo")
    assert first.exit_code == 0, first.output
    assert "Đã nạp dữ liệu mẫu" in first.output
    with app.app_context():
        before = counts()
        closed = db.session.scalars(select(MonthClose.month).order_by(MonthClose.month)).all()
        assert len(closed) == MONTHS
        runs = db.session.scalars(select(CheckRun).order_by(CheckRun.created_at)).all()
        assert len(runs) == MONTHS + 1 and {r.origin for r in runs} == {ORIGIN}
        assert all(r.state == "done" and r.summary["checked"] for r in runs)
        # The trend is not flat: listings were added over the two years.
        online = db.session.execute(
            select(ShareCell.month, func.sum(ShareCell.online)).where(ShareCell.marketplace_id == 0)
            .group_by(ShareCell.month).order_by(ShareCell.month)).all()
        assert online[0][1] < online[-1][1]
        # The removal went through the real rule: seen once, confirmed by a second look.
        gone = next(s for s in SHELVES if s.kind == "gone")
        listing = db.session.scalar(select(Listing).where(
            Listing.canonical_url.endswith(gone.path)))
        assert listing.status == "removed"
        phases = [c.phase for c in db.session.scalars(
            select(Check).where(Check.listing_id == listing.id, Check.verdict == "removed"))]
        assert sorted(phases) == [1, 2]
        now = utcnow()
        head = snapshot.take(month_of(now), figures.Filters(), now).head
        assert 0 < head.online.part < head.online.whole and head.unchecked == 0
    again = run("demo")
    assert again.exit_code == 0 and "không thay đổi gì" in again.output
    with app.app_context():
        assert counts() == before


def test_every_verdict_through_the_real_engine(app, run):
    run("demo")
    with app.app_context():
        checked_run, _ = runner.start("all", origin="cli")
        runner.execute(checked_run.id)
        seen = {}
        for check in db.session.scalars(select(Check).where(Check.run_id == checked_run.id,
                                                            Check.phase == 1)):
            seen[check.listing.canonical_url] = (check.verdict, check.evidence)
        confirmed = db.session.scalar(select(func.count()).select_from(Check).where(
            Check.run_id == checked_run.id, Check.phase == 2, Check.status_after == "removed"))
    by_kind = {}
    for shelf in SHELVES:
        verdict, evidence = next(v for url, v in seen.items() if url.endswith(shelf.path))
        by_kind.setdefault(shelf.kind, set()).add(verdict)
        assert evidence["rule"] and evidence["final_url"].endswith(shelf.path)
    assert by_kind == {kind: {VERDICT[kind]} for kind in by_kind}
    assert set(Counter(v for v, _ in seen.values())) == {
        "active", "out_of_stock", "removed", "blocked", "unreachable"}
    assert confirmed == 1


def test_without_chromium_the_browser_market_says_so(markets):
    shelf = next(s for s in SHELVES if s.kind == "scripted")
    url = f"http://127.0.0.1:{markets.first_port + 3}{shelf.path}"
    settings = Settings(allowed_endpoints=tuple(endpoints(markets.first_port)), robots=False,
                        polite=False, retries=0, browser_executable="/nonexistent/chromium")
    target = Target(key=1, url=url, adapter="generic", marketplace="mau-cho-so",
                    hosts=frozenset({f"127.0.0.1:{markets.first_port + 3}"}), fetch="browser")
    (result,) = check_many([target], settings)
    assert result.verdict == "unknown" and result.evidence["rule"] == "fetch-browser_missing"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(offset: int, after: int = 0) -> tuple[socket.socket, int]:
    """A socket listening on a port P whose `offset` ports below it (and `after` above it) are
    free, so that a demo whose sample ports start at P - offset opens those and stops at P, as
    a busy machine's random ports could otherwise make it stop earlier."""
    for _ in range(50):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            for near in (*range(port - offset, port), *range(port + 1, port + after + 1)):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", near))
        except OSError:
            taken.close()
            continue
        return taken, port
    pytest.fail("no free run of ports")


def test_the_exception_opens_only_the_pairs_named(markets):
    allowed = endpoints(markets.first_port)
    guard = Guard(allowed_endpoints=allowed)
    assert guard.resolve("127.0.0.1", markets.first_port)
    # The sample platform's port is not among them: its client does not go through the guard.
    for port in (markets.first_port + 5, markets.first_port - 1, 5000, free_port()):
        with pytest.raises(FetchError) as refused:
            guard.resolve("127.0.0.1", port)
        assert refused.value.kind == "refused_address"
    with pytest.raises(FetchError):  # another loopback address on the same port
        guard.resolve("127.0.0.2", markets.first_port)
    # Through the engine: a page of an allowed marketplace, then one served on a port not named.
    other = SampleMarkets(markets.first_port + 100)
    other.start()
    try:
        targets = [Target(key=n, url=f"http://127.0.0.1:{first}{SHELVES[0].path}",
                          adapter="generic", marketplace="x",
                          hosts=frozenset({f"127.0.0.1:{first}"}))
                   for n, first in enumerate((markets.first_port, other.first_port))]
        results = sorted(check_many(targets, Settings(allowed_endpoints=tuple(allowed),
                                                      polite=False, retries=0)),
                         key=lambda r: r.target.key)
    finally:
        other.stop()
    assert results[0].verdict == "active"
    assert results[1].verdict == "unknown"
    assert results[1].evidence["error"]["kind"] == "refused_address"


@pytest.mark.parametrize("text", ["127.0.0.1", "localhost:5101", "127.0.0.1:0", "127.0.0.1:x"])
def test_an_endpoint_must_be_an_address_and_a_port(text):
    with pytest.raises(ValueError):
        Guard(allowed_endpoints=[text])


def test_a_port_taken_is_named_with_the_setting_that_moves_it(app, run, markets):
    run("demo")  # its listings are on the sample marketplaces' usual ports
    taken, port = listening(2, after=3)
    try:
        app.config["SAMPLE_MARKETS_PORT"] = port - 2  # the third marketplace's port is taken
        result = run("serve-demo", "--port", str(free_port()))
    finally:
        taken.close()
    assert result.exit_code == 1
    assert f"Cổng {port}" in result.output and "Sàn mẫu Đặc Sản Vùng Cao" in result.output
    assert "SAMPLE_PORT" in result.output and "OCOP_SAMPLE_MARKETS_PORT" in result.output
    # ...and the sample listings were written for other ports: it says so.
    assert f"127.0.0.1:{markets.first_port}" in result.output
    # Nothing is left listening on the ports it did open (the sample platform's first).
    for first in (port - 2, port - 1, port + 3):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", first))


def test_the_sample_platform_port_taken_is_named(app, run):
    run("demo")
    taken, port = listening(sample_platforms.OFFSET)
    try:
        app.config["SAMPLE_MARKETS_PORT"] = port - sample_platforms.OFFSET
        result = run("serve-demo", "--port", str(free_port()))
    finally:
        taken.close()
    assert result.exit_code == 1
    assert f"Cổng {port}" in result.output and sample_platforms.NAME in result.output


@pytest.mark.parametrize("offset", [1, 5])
def test_the_app_port_cannot_be_a_sample_marketplace_port(app, run, markets, offset):
    result = run("serve-demo", "--port", str(markets.first_port + offset))
    assert result.exit_code == 2 and "PORT=" in result.output


def test_settings_that_miss_the_sample_platform_are_named(app, run):
    run("demo")
    app.config["SHOPEE_PARTNER_KEY"] = "another-key"
    taken, port = listening(0)  # stops serve-demo once the warnings are out
    try:
        app.config["SAMPLE_MARKETS_PORT"] = port
        result = run("serve-demo", "--port", str(free_port()))
    finally:
        taken.close()
    assert result.exit_code == 1
    assert "không trỏ tới Shopee mẫu" in result.output
    assert f"OCOP_SHOPEE_PARTNER_KEY={sample_platforms.PARTNER_KEY}" in result.output
    assert f"OCOP_SHOPEE_API_BASE=http://127.0.0.1:{port + 5}" in result.output


def test_pages_say_the_history_is_sample_data(app, run, officer):
    page = BeautifulSoup(officer.get("/dashboard/").text, "html.parser")
    assert page.find(id="sample-data") is None
    run("demo")
    for path in ("/dashboard/", "/checks/", "/history/", "/products/LC-2021-09", "/lookup/"):
        page = BeautifulSoup(officer.get(path).text, "html.parser")
        assert "Dữ liệu mẫu" in page.find(id="sample-data").text, path


def test_a_registry_never_checked_says_so_and_offers_the_first_run(app, officer, catalogue):
    app.config["WTF_CSRF_ENABLED"] = True
    page = BeautifulSoup(officer.get("/dashboard/").text, "html.parser")
    notice = page.find(id="never-checked")
    assert "Chưa kiểm tra gian hàng nào" in notice.text
    assert "—" in page.find(id="share-online").text and "%" not in page.find(id="share-online").text
    other = page.find(id="other-figures").text
    assert "Gian hàng quá hạn xác minh: 0" in other
    assert "Gian hàng chưa kiểm tra lần nào: 1" in other
    assert not page.select("section.breakdown")  # no table of 0 % before any figure exists
    form = notice.find("form")
    assert form["method"] == "post" and form["action"] == "/checks/"
    data = {field["name"]: field["value"] for field in form.find_all("input")}
    assert data["scope"] == "all" and data["csrf_token"]
    assert officer.post("/checks/", data={"scope": "all"}).status_code == 400  # no token
    response = officer.post("/checks/", data=data)
    assert response.status_code == 303 and "/checks/" in response.location
    with app.app_context():  # the run goes on a thread of the app: wait for it
        deadline = time.monotonic() + 60
        while not (checked := db.session.scalar(select(CheckRun))).finished:
            assert time.monotonic() < deadline
            db.session.remove()
            time.sleep(0.2)
        assert checked.scope == "all" and checked.origin == "web"
    page = BeautifulSoup(officer.get("/dashboard/").text, "html.parser")
    assert page.find(id="never-checked") is None
    assert "%" in page.find(id="share-online").text
    assert page.find(id="by-marketplace")


def test_a_database_without_sample_marketplaces_is_told_so(app, run, markets):
    result = run("serve-demo", "--port", str(free_port()))  # `markets` holds the ports: it stops
    assert result.exit_code == 1 and "chưa có sàn mẫu" in result.output


def test_the_officer_attests_the_listing_behind_a_captcha(app, run, officer):
    run("demo")
    shelf = next(s for s in SHELVES if s.kind == "captcha")
    with app.app_context():
        (attestation,) = db.session.scalars(select(Attestation)).all()
        listing = attestation.listing
        assert listing.canonical_url.endswith(shelf.path) and listing.last_verdict == "blocked"
        author = db.session.get(User, attestation.created_by_id)
        assert author.email == DEMO_ACCOUNTS[0][0] and author.role == "officer"
        assert attestation.confirmed_by_id == author.id  # an officer's counts at once
        assert attestation.seen_on == local_date(utcnow())
        assert SAMPLE in attestation.note and attestation.media_type == "image/png"
        with Image.open(io.BytesIO(attestation.image)) as image:  # as an upload is stored
            assert image.format == "PNG" and image.size == (480, 300) and not image.info
        now = utcnow()
        head = snapshot.take(month_of(now), figures.Filters(), now).head
        assert head.methods["person"] == 1
        attestation_id, listing_id = attestation.id, listing.id
    page = BeautifulSoup(officer.get("/dashboard/").text, "html.parser")
    assert "1 do cán bộ xác nhận" in page.find(id="verified-by").text
    shown = officer.get(f"/attestations/{attestation_id}/image")
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    page = BeautifulSoup(officer.get(f"/listings/{listing_id}").text, "html.parser")
    assert f"/attestations/{attestation_id}/image" in str(page)


def test_the_demo_producer_connects_the_sample_shop_and_its_api_answers(app, run, markets,
                                                                        officer):
    run("demo")
    platform = sample_platforms.base(markets.first_port)
    with app.app_context():
        listing = db.session.scalar(select(Listing).join(Marketplace).where(
            Marketplace.slug == "mau-shopee"))
        listing_id, url = listing.id, listing.canonical_url
        assert listing.last_verdict == "blocked"  # its page route is walled, as Shopee's is
    producer = app.test_client()
    signed_in = producer.post("/login", data={"email": DEMO_ACCOUNTS[1][0],
                                              "password": DEMO_PASSWORD})
    assert signed_in.status_code == 303
    page = BeautifulSoup(producer.get("/shops/", follow_redirects=True).text, "html.parser")
    connect = page.find(id="connect-mau-shopee")["href"]
    started = producer.post(connect)
    assert started.status_code == 303 and started.location.startswith(platform + AUTH_PATH)
    # On the sample platform, as the seller's browser: a plain Vietnamese page marked sample.
    consent = requests.get(started.location, timeout=5)
    page = BeautifulSoup(consent.text, "html.parser")
    assert SAMPLE in page.find(class_="sample").text
    assert "không xem đơn hàng" in page.text
    form = page.find("form")
    assert page.find("option").text == sample_platforms.SHOP_NAME
    data = {"ticket": form.find("input", {"name": "ticket"})["value"],
            "shop_id": page.find("option")["value"], "answer": "yes"}
    back = requests.post(platform + form["action"], data=data, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    returned = urlsplit(back.headers["Location"])
    assert (returned.netloc, returned.path) == ("localhost", "/shops/callback/mau-shopee")
    done = producer.get(f"{returned.path}?{returned.query}", follow_redirects=True)
    assert "Đã kết nối gian hàng" in done.text
    connections = BeautifulSoup(done.text, "html.parser").find(id="shop-connections").text
    # Named as the sample platform's get_shop_info has it, with its id.
    assert f"{sample_platforms.SHOP_NAME} (mã 880001)" in connections
    assert "Đã kết nối" in connections
    # The officer's "Kiểm tra ngay": the marketplace's API answers for the listing.
    with app.app_context():
        assert db.session.scalar(select(ShopConnection.state)) == "connected"
        checked, _ = runner.start("listing", listing_id, url, origin="web")
        runner.execute(checked.id)
        listing = db.session.get(Listing, listing_id)
        assert (listing.status, listing.method) == ("active", "seller_api")
        assert listing.evidence["api_status"] == "NORMAL"
        assert listing.evidence["stock"] == sample_platforms.STOCK
    page = BeautifulSoup(officer.get("/dashboard/").text, "html.parser")
    assert "1 qua tài khoản sàn" in page.find(id="verified-by").text
    page = BeautifulSoup(producer.get(f"/listings/{listing_id}").text, "html.parser")
    assert "Đang bán" in page.find(id="listing-status").text
    assert "qua tài khoản của chủ thể" in page.find(id="evidence").text
