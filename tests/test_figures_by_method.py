"""The figures by method: each online product counts once, under the strongest way it was
known (a seller's API, a browser, a page, a person's attestation), the same today, at a
replayed moment and in a closed month; attestations count only while the rule says so."""

import io
from datetime import date, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook

from ocop.checks.record import record
from ocop.dashboard import assemble, months, report, snapshot, sources
from ocop.dashboard.figures import Filters
from ocop.extensions import db
from ocop.localtime import local_date, month_end, month_of, stored, zone
from ocop.models import METHODS, Attestation, CheckRun, Listing, MonthClose, add_months, utcnow
from scrapers.model import Result, Target
from tests.conftest import make_product, producer_named
from tests.helpers import HTMX, assert_fragment, assert_full_page
from tests.test_api import get_json, validator
from tests.test_browser import browser, live_server, sign_in, sync_api, watch  # noqa: F401
from tests.test_dashboard import listing
from tests.test_phone import PHONE, WIDEST


@pytest.fixture
def app_overrides() -> dict:
    """A window wide enough that last month's checks still count today, whatever the date."""
    return {"FRESHNESS_DAYS": 90}


def at(months_back: int, day: int, hour: int = 12) -> datetime:
    """`hour` o'clock in the province on `day` of the month `months_back` before this one."""
    month = add_months(month_of(utcnow()), -months_back)
    return stored(datetime(month.year, month.month, day, hour, tzinfo=zone()))


def seen(item: Listing, verdict: str, when: datetime, route: str = "", phase: int = 1) -> None:
    """One check of `item` at `when` by `route` (the evidence's, as the engine writes it),
    recorded through the real rules by a run of that time."""
    run = CheckRun(scope="all", origin="test", degraded=[], created_at=when)
    db.session.add(run)
    db.session.commit()
    target = Target(item.id, item.canonical_url, item.marketplace.slug, item.marketplace.adapter,
                    frozenset())
    evidence = {"rule": "test", **({"route": route} if route else {})}
    record(run.id, [Result(target, verdict, evidence, when)], phase=phase, degraded=set(),
           confirm_after=timedelta(0))


def attest(item: Listing, made: datetime, *, confirmed: datetime | None = None,
           withdrawn: datetime | None = None) -> None:
    """A person's attestation of `item` made at `made`, counting to the end of that month."""
    db.session.add(Attestation(listing=item, seen_on=made.date(), image=b"\xff\xd8jpeg",
                               created_at=made, created_by="Cán bộ Thử",
                               counts_until=month_end(month_of(made)), confirmed_at=confirmed,
                               withdrawn_at=withdrawn))
    db.session.commit()


@pytest.fixture
def mixed(app):
    """Last month: P1 by the seller's API on Shopee and by a page on Postmart, P2 by a browser,
    P3 sold out by a page, P4 and P6 attested (an officer's; a producer's an officer
    confirmed), P5 a producer's attestation never confirmed, P7 attested then withdrawn, P8
    on sale by a page, attested, then confirmed removed; this month P9 attested."""
    with app.app_context():
        producer = producer_named("HTX Chè Hướng Tâm")
        items = {}
        for n, slug in enumerate(("shopee", "tiki", "postmart", "shopee", "voso", "voso",
                                  "tiki", "postmart", "voso"), start=1):
            product = make_product(f"P{n}", f"Sản phẩm {n}", producer,
                                   certified_on=date(2024, 1, 1), category=1 + n % 2)
            items[n] = listing(product, slug, n)
        items["1b"] = listing(items[1].product, "postmart", 10)
        db.session.flush()
        for item in items.values():
            item.created_at = at(2, 1)
        db.session.commit()
        seen(items[1], "active", at(1, 10), "seller_api")
        seen(items["1b"], "active", at(1, 10))
        seen(items[2], "active", at(1, 11), "browser")
        seen(items[3], "out_of_stock", at(1, 12))
        for n in (4, 5, 6, 7):
            seen(items[n], "blocked", at(1, 12), "browser")
        seen(items[8], "active", at(1, 5))
        attest(items[4], at(1, 13), confirmed=at(1, 13))  # an officer's: counts at once
        attest(items[5], at(1, 13))  # a producer's, never confirmed
        attest(items[6], at(1, 13), confirmed=at(1, 14))  # a producer's, confirmed next day
        attest(items[7], at(1, 13), confirmed=at(1, 13), withdrawn=at(1, 16))
        attest(items[8], at(1, 13), confirmed=at(1, 13))
        seen(items[8], "removed", at(1, 20))
        seen(items[8], "removed", at(1, 21), phase=2)  # confirmed: the attestation is over
        attest(items[9], utcnow() - timedelta(minutes=5), confirmed=utcnow() - timedelta(minutes=5))
        return {key: item.id for key, item in items.items()}


def figures_of(source, filters: Filters | None = None) -> tuple:
    """(counted, online, buyable, online by method) of a source."""
    cells = source.cells(filters or Filters())
    head = assemble.headline(source, filters or Filters(), cells)
    return head.counted, head.online.part, head.buyable.part, head.methods


def methods(**counts: int) -> dict:
    """Online products by method, none where not named."""
    return {method: counts.get(method, 0) for method in METHODS}


def test_a_closed_month_freezes_the_methods_the_history_gives(app, mixed):
    with app.app_context():
        months.close_due()
        last = db.session.get(MonthClose, add_months(month_of(utcnow()), -1))
        expected = (9, 5, 2, methods(seller_api=1, browser=1, page=1, person=2))
        assert figures_of(sources.Closed(last)) == expected
        assert figures_of(sources.Live(last.as_of, replay=True)) == expected
        rows = {r.key: r.methods for r in assemble.by_marketplace(sources.Closed(last),
                                                                  Filters(), 9)}
        assert rows["shopee"] == methods(seller_api=1, person=1)  # P1 by its API; P4 attested
        assert rows["postmart"] == methods(page=2)  # P1's other listing, P3
        assert rows["voso"] == methods(person=1)  # P6 only: P5 was never confirmed
        by_group = {r.key: r.methods for r in assemble.breakdown(
            "category", sources.Closed(last), Filters(), sources.Closed(last).cells(Filters()))}
        assert by_group == {"1": methods(browser=1, person=2),  # P2; P4, P6
                            "2": methods(seller_api=1, page=1)}  # P1; P3


def test_a_replayed_moment_counts_the_attestations_counting_then(app, mixed):
    with app.app_context():
        middle = sources.Live(at(1, 15), replay=True)
        # P7 not yet withdrawn; P8 still on sale by a page, which outranks its attestation
        assert figures_of(middle) == (9, 7, 3, methods(seller_api=1, browser=1, page=2,
                                                       person=3))
        before = sources.Live(at(1, 13, hour=11), replay=True)  # before any attestation
        assert figures_of(before)[3] == methods(seller_api=1, browser=1, page=2)


def test_today_an_attestation_of_last_month_no_longer_counts(app, mixed):
    with app.app_context():
        now = utcnow()
        expected = (9, 4, 2, methods(seller_api=1, browser=1, page=1, person=1))  # P9 only
        assert figures_of(sources.Live(now)) == expected
        assert figures_of(sources.Live(now, replay=True)) == expected
        assert figures_of(sources.Live(now), Filters(marketplace="voso"))[3] == methods(person=1)


def test_the_listing_states_say_how_each_was_known(app, mixed):
    with app.app_context():
        months.close_due()
        last = sources.Closed(db.session.get(MonthClose, add_months(month_of(utcnow()), -1)))
        for source, expected in ((last, {1: "seller_api", "1b": "page", 4: "person", 5: None,
                                         7: None, 8: None}),
                                 (sources.Live(utcnow()), {1: "seller_api", 4: None,
                                                           9: "person"})):
            states = source.states()
            found = dict(db.session.execute(db.select(states.c.listing_id, states.c.method)).all())
            assert {key: found[mixed[key]] for key in expected} == expected


def test_months_closed_before_methods_were_kept_are_backfilled_from_the_checks(app, mixed):
    """Migration b5d1f3a8c260 on months closed without methods: a listing's method comes from
    its deciding check; one deleted since (P2's), or online by a person (no check decided it),
    leaves its product's method unknown."""
    with app.app_context():
        months.close_due()
        db.session.delete(db.session.get(Listing, mixed[2]))  # its checks go with it
        db.session.commit()
        db.session.remove()
        directory = app.extensions["migrate"].directory
        downgrade(directory=directory, revision="a7c3e9f1b204")
        upgrade(directory=directory)
        last = sources.Closed(db.session.get(MonthClose, add_months(month_of(utcnow()), -1)))
        cells = last.cells(Filters())
        head = assemble.headline(last, Filters(), cells)
        assert (head.online.part, head.methods) == (5, methods(seller_api=1, page=1))
        assert head.unknown == 3  # P2 (deleted), P4 and P6 (attested)
        rows = {r.key: r for r in assemble.by_marketplace(last, Filters(), 9)}
        assert (rows["postmart"].methods, rows["voso"].unknown) == (methods(page=2), 1)
        book = io.BytesIO()
        report.write(book, snapshot.take(last.closing.month, Filters(), utcnow()))
        summary = load_workbook(book, read_only=True)["Tổng hợp"].iter_rows(values_only=True)
        lines = {row[0]: row[1] if len(row) > 1 else None for row in summary if row and row[0]}
        assert (lines["  trong đó qua trang"], lines["  trong đó chưa rõ cách xác minh"]) == (1, 3)


def words(text: str) -> str:
    """Text with its runs of white space as single spaces."""
    return " ".join(text.split())


def test_the_dashboard_says_how_the_online_products_were_verified(officer, mixed):
    page = assert_full_page(officer.get("/dashboard/"), "figures")
    assert words(page.find(id="verified-by").text) == (
        "4 sản phẩm: 1 qua tài khoản sàn, 1 qua trình duyệt, 1 qua trang, 1 do cán bộ xác nhận")
    assert ("3/9 sản phẩm được máy kiểm tra xác minh (33,3%"
            in page.find(id="summary").blockquote.text)
    rows = {tr.td.text.strip(): words(tr.select_one("td.methods").text)
            for tr in page.find(id="by-marketplace").select("tbody tr")}
    assert (rows["Voso"], rows["Shopee"]) == ("1 do cán bộ xác nhận", "1 qua tài khoản sàn")
    english = officer.post("/lang/en") and officer.get("/dashboard/", headers=HTMX)
    assert "1 confirmed by an officer" in assert_fragment(english, "figures").find(
        id="verified-by").text


def test_the_api_gives_the_methods_today_and_at_a_closed_month_end(app, client, mixed):
    with app.app_context():
        months.close_due()
        end = local_date(month_end(add_months(month_of(utcnow()), -1))).isoformat()
    today = get_json(client, "/api/v1/stats/share?by=marketplace")
    assert today["online_by_method"] == methods(seller_api=1, browser=1, page=1, person=1)
    assert today["share_machine"] == 33.3
    assert {g["key"]: g["online_by_method"] for g in today["groups"]}["voso"] == methods(person=1)
    closed = get_json(client, f"/api/v1/stats/share?date={end}&by=group")
    assert closed["online_by_method"] == methods(seller_api=1, browser=1, page=1, person=2)
    spec = get_json(client, "/api/v1/openapi.json")
    for body in (today, closed):
        validator(spec, "Share").validate(body)


def test_the_headline_with_its_methods_fits_a_desktop_and_a_phone(
        browser, live_server, mixed, tmp_path):  # noqa: F811 (fixtures)
    for name, size in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
        tab = browser.new_page(base_url=live_server, viewport=size)
        sign_in(tab, "officer@example.vn")
        tab.goto("/dashboard/")
        sync_api.expect(tab.locator("#verified-by")).to_contain_text("1 do cán bộ xác nhận")
        sync_api.expect(tab.locator("#by-marketplace td.methods").first).to_be_visible()
        assert tab.evaluate(WIDEST, size["width"])["widest"] is None  # nothing sticks out
        tab.screenshot(path=tmp_path / f"dashboard-{name}.png", full_page=True)
        tab.locator("#share-online").screenshot(path=tmp_path / f"headline-{name}.png")
        tab.locator("#by-category").screenshot(path=tmp_path / f"by-category-{name}.png")
        tab.close()
