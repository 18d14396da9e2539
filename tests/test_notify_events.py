"""Events recorded once, from real check results: checks recorded through the real rules
(`checks.record.record`) or a real run against an imitation marketplace, then the events
asserted; a rerun or a second call adds nothing."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from ocop.checks import runner
from ocop.checks.record import record
from ocop.dashboard import months
from ocop.extensions import db
from ocop.localtime import local_date, month_of, stored, zone
from ocop.models import CheckRun, Event, Listing, Marketplace, Product, add_months, utcnow
from ocop.notify import events
from scrapers.model import Result, Target
from tests.conftest import make_product, producer_named
from tests.shop import BLOCKED, FAST, GONE, LIVE, SOLD_OUT, add_listings
from tests.test_dashboard import listing as make_listing


@pytest.fixture
def app_overrides():
    return FAST


def at(months_back: int, day: int, hour: int = 12) -> datetime:
    """`hour` o'clock in the province on `day` of the month `months_back` before this one."""
    month = add_months(month_of(utcnow()), -months_back)
    return stored(datetime(month.year, month.month, day, hour, tzinfo=zone()))


def new_run(when: datetime, scope: str = "due") -> CheckRun:
    run = CheckRun(scope=scope, origin="test", degraded=[], created_at=when, state="done",
                   started_at=when, finished_at=when)
    db.session.add(run)
    db.session.commit()
    return run


def check(run: CheckRun, item: Listing, verdict: str, when: datetime, phase: int = 1,
          **evidence) -> None:
    """One check of `item` in `run`, recorded through the real rules."""
    target = Target(item.id, item.canonical_url, item.marketplace.slug, item.marketplace.adapter,
                    frozenset())
    record(run.id, [Result(target, verdict, {"rule": "test", **evidence}, when)], phase=phase,
           degraded=set(), confirm_after=timedelta(0))


def seen(item: Listing, *verdicts: str, when: datetime, scope: str = "due") -> CheckRun:
    """A run at `when` whose checks of `item` (one, or a not-found and its confirmation)
    gave `verdicts`; its events recorded as its end records them."""
    run = new_run(when, scope)
    for phase, verdict in enumerate(verdicts, start=1):
        check(run, item, verdict, when + timedelta(minutes=phase), phase)
    events.after_run(None, run=run)
    return run


def recorded(kind: str | None = None) -> list[Event]:
    query = select(Event).order_by(Event.id)
    if kind:
        query = query.where(Event.kind == kind)
    return list(db.session.scalars(query))


def kinds() -> list[tuple[str, int | None]]:
    """(kind, listing id) of every event so far, in order."""
    return [(e.kind, e.listing_id) for e in recorded()]


@pytest.fixture
def item(app):
    """An approved Tiki listing of a tea of HTX Chè Hướng Tâm, never checked."""
    with app.app_context():
        product = make_product("LC-001", "Chè Bát tiên Hướng Tâm",
                               producer_named("HTX Chè Hướng Tâm"))
        listing = make_listing(product, "tiki", 1)
        db.session.commit()
        return listing.id


def test_a_confirmed_removal_is_one_event_with_what_a_message_needs(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "active", when=at(1, 3))
        run = seen(listing, "removed", "removed", when=at(0, 2))
        (event,) = recorded()
        assert (event.kind, event.listing_id, event.run_id) == ("listing_removed", item, run.id)
        assert event.product_id == listing.product_id
        assert event.producer_id == listing.product.producer_id
        assert event.key.startswith(f"listing_removed:{item}:")
        assert event.data["code"] == "LC-001"
        assert event.data["product"] == "Chè Bát tiên Hướng Tâm"
        assert event.data["producer_name"] == "HTX Chè Hướng Tâm"
        assert event.data["marketplace"] == "Tiki"
        assert event.data["listing"] == listing.canonical_url
        assert (event.data["status_before"], event.data["status"]) == ("active", "removed")
        assert (event.data["phase"], event.data["verdict"]) == (2, "removed")
        assert event.data["checked_on"] == local_date(at(0, 2)).isoformat()
        # The end of the same run again, and a later run that still finds it gone: nothing.
        events.after_run(None, run=run)
        assert events.record_run(run) == 0
        seen(listing, "removed", "removed", when=at(0, 3))
        assert kinds() == [("listing_removed", item)]


def test_a_not_found_without_its_confirmation_is_no_event(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "active", when=at(1, 3))
        seen(listing, "removed", when=at(0, 2))  # pending: the second look never came
        assert listing.status == "active" and kinds() == []


def test_the_marketplaces_own_word_removes_at_once_and_is_an_event(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "active", when=at(1, 3))
        run = new_run(at(0, 2))
        check(run, listing, "removed", at(0, 2), route="seller_api")
        events.after_run(None, run=run)
        (event,) = recorded()
        assert (event.kind, event.data["phase"]) == ("listing_removed", 1)


def test_out_of_stock_only_when_it_was_on_sale(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "out_of_stock", when=at(2, 3))  # its first check: it was nothing before
        assert kinds() == []
        seen(listing, "active", when=at(1, 3))
        assert kinds() == [("listing_back", item)]
        run = seen(listing, "out_of_stock", when=at(0, 2))
        seen(listing, "out_of_stock", when=at(0, 3))
        assert kinds() == [("listing_back", item), ("listing_out_of_stock", item)]
        event = recorded("listing_out_of_stock")[0]
        assert (event.run_id, event.data["status_before"]) == (run.id, "active")


@pytest.mark.parametrize("gone", [("unlisted",), ("removed", "removed")])
def test_back_on_sale_after_being_hidden_or_removed(app, item, gone):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "active", when=at(2, 3))
        seen(listing, *gone, when=at(1, 3))
        run = seen(listing, "active", when=at(0, 2))
        seen(listing, "active", when=at(0, 3))
        back = recorded("listing_back")
        assert [(e.run_id, e.data["status_before"]) for e in back] == [(run.id, gone[0])]


def test_a_blocked_check_between_two_on_sale_is_no_event(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "active", when=at(1, 3))
        seen(listing, "blocked", when=at(0, 2))
        seen(listing, "active", when=at(0, 3))
        assert kinds() == []


def test_unseen_on_two_monthly_runs_in_a_row_then_back(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "active", when=at(3, 3))
        seen(listing, "unreachable", when=at(1, 2))
        seen(listing, "blocked", when=at(1, 3))
        run = seen(listing, "blocked", when=at(0, 2))
        (event,) = recorded()
        month = f"{month_of(at(0, 2)):%Y-%m}"
        assert (event.kind, event.key, event.run_id) == (
            "listing_unseen", f"listing_unseen:{item}:{month}", run.id)
        assert event.data["month"] == month
        assert event.data["previous_month"] == f"{month_of(at(1, 2)):%Y-%m}"
        assert event.data["verdict"] == "blocked"
        # The next night of the month retries it, still blocked: once a month.
        seen(listing, "unreachable", when=at(0, 3))
        assert kinds() == [("listing_unseen", item)]
        seen(listing, "active", when=at(0, 4))
        seen(listing, "active", when=at(0, 5))
        assert kinds() == [("listing_unseen", item), ("listing_back", item)]
        assert recorded("listing_back")[0].data["status_before"] == "active"


def test_unseen_needs_a_whole_unseen_month_before_and_a_monthly_run(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "active", when=at(2, 3))
        seen(listing, "blocked", when=at(1, 2))
        seen(listing, "active", when=at(1, 20), scope="listing")  # an officer's look saw it
        seen(listing, "blocked", when=at(0, 2))
        assert kinds() == []
        # Blocked again the month after, but on a run of one listing: not a monthly run.
        seen(listing, "blocked", when=at(0, 3), scope="listing")
        assert kinds() == []


def test_unseen_not_when_seen_earlier_this_month(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "blocked", when=at(1, 2))
        seen(listing, "out_of_stock", when=at(0, 1), scope="product")
        seen(listing, "blocked", when=at(0, 2), scope="all")
        assert kinds() == []


def test_unseen_not_once_confirmed_removed(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "removed", "removed", when=at(2, 3))
        seen(listing, "blocked", when=at(1, 2))
        seen(listing, "unreachable", when=at(0, 2))
        assert kinds() == [("listing_removed", item)]


def test_unseen_not_when_last_month_had_no_monthly_run(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "blocked", when=at(1, 2), scope="listing")
        seen(listing, "blocked", when=at(0, 2))
        assert kinds() == []


def run_all(app) -> CheckRun:
    """A real run over every listing, ended as the app ends it (its signal included)."""
    with app.app_context():
        run, _ = runner.start("all", None, origin="test")
        run = runner.execute(run.id)
        db.session.refresh(run)
        db.session.expunge(run)
        return run


def test_a_real_run_records_its_changes_once_and_a_rerun_adds_nothing(app, shop):
    ids = add_listings(app, shop, [LIVE], [LIVE], [LIVE], [BLOCKED])
    live, sold_out, gone, blocked = ids
    first = run_all(app)
    with app.app_context():
        assert recorded() == []  # first checks: nothing changed
    shop.script("/p/1", SOLD_OUT)
    shop.script("/p/2", GONE)
    shop.script("/p/3", LIVE)
    second = run_all(app)
    assert second.id != first.id
    with app.app_context():
        changes = {(e.kind, e.listing_id, e.run_id) for e in recorded()}
        assert changes == {("listing_out_of_stock", sold_out, second.id),
                           ("listing_removed", gone, second.id)}
        assert all(e.producer_id == producer_named("HTX Chè Hướng Tâm").id for e in recorded())
        run = db.session.get(CheckRun, second.id)
        assert events.record_run(run) == 0
    run_all(app)  # the same scope again, finding the same states
    with app.app_context():
        assert len(recorded()) == 2
        assert db.session.get(Listing, live).status == "active"


def test_a_degraded_marketplace_and_a_failed_run_are_events(app, shop):
    add_listings(app, shop, *([[BLOCKED]] * 6))
    with app.app_context():
        db.session.execute(db.update(Marketplace).values(concurrency=1))
        db.session.commit()
    degraded = run_all(app)
    assert degraded.degraded == ["cho-thu"]
    with app.app_context():
        (event,) = recorded()
        assert (event.kind, event.key, event.run_id, event.producer_id) == (
            "marketplace_degraded", f"marketplace_degraded:{degraded.id}:cho-thu", degraded.id,
            None)
        assert (event.data["marketplace"], event.data["scope"]) == ("Chợ thử", "all")
        assert event.data["run_paused"] == degraded.paused >= 1
        run, _ = runner.start("listing", 1, origin="test")
        runner.fail(run.id, RuntimeError("đĩa đầy"))
        runner.fail(run.id, RuntimeError("đĩa đầy"))  # announced twice: recorded once
        failed = recorded("run_failed")
        assert [(e.key, e.run_id) for e in failed] == [(f"run_failed:{run.id}", run.id)]
        assert failed[0].data["note"] == "RuntimeError: đĩa đầy"


def test_a_closed_month_is_one_event_after_the_run_that_closed_it(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        seen(listing, "active", when=at(1, 3))  # its end closes nothing: the month is open
        assert kinds() == []
        months.close_due()
        run = new_run(at(0, 2))
        events.after_run(None, run=run)
        (event,) = recorded()
        month = f"{month_of(at(1, 3)):%Y-%m}"
        assert (event.kind, event.key) == ("month_closed", f"month_closed:{month}")
        assert event.data["month"] == month and event.producer_id is None
        assert events.find_due() == 0


def test_a_closed_month_without_its_event_is_found_by_the_daily_pass(app, item):
    with app.app_context():
        listing = db.session.get(Listing, item)
        run = new_run(at(2, 3))
        check(run, listing, "active", at(2, 3))
        months.close_due()
        assert events.find_due() == 2
        assert [e.data["month"] for e in recorded("month_closed")] == [
            f"{month_of(at(n, 3)):%Y-%m}" for n in (2, 1)]


def test_certificates_warn_once_per_window_and_again_when_renewed(app):
    now = utcnow()
    with app.app_context():
        today = local_date(now)
        producer = producer_named("HTX Sơn Hòa")
        for code, days, withdrawn in (("C-10", 10, False), ("C-60", 60, False),
                                      ("C-30", 30, False), ("C-31", 31, False),
                                      ("C-120", 120, False), ("C-W", 10, True),
                                      ("C-OLD", -1, False)):
            make_product(code, code, producer, certified_on=date(2023, 1, 1),
                         expires_on=today + timedelta(days=days), withdrawn=withdrawn)
        db.session.commit()
        assert events.find_due(now) == 4
        warned = {(e.kind, e.data["code"], e.data["days_left"]) for e in recorded()}
        assert warned == {("certificate_30", "C-10", 10), ("certificate_30", "C-30", 30),
                          ("certificate_90", "C-31", 31), ("certificate_90", "C-60", 60)}
        assert all(e.producer_id == producer.id and e.product_id for e in recorded())
        assert {e.data["producer_name"] for e in recorded()} == {"HTX Sơn Hòa"}
        assert events.find_due(now) == 0
        # Thirty days later C-60 and C-31 enter their last 30 days, C-120 its last 90.
        assert events.find_due(now + timedelta(days=30)) == 3
        assert {(e.kind, e.data["code"]) for e in recorded()[-3:]} == {
            ("certificate_30", "C-60"), ("certificate_30", "C-31"), ("certificate_90", "C-120")}
        # C-10 is renewed and later comes due again: it warns again.
        renewed = db.session.scalar(select(Product).filter_by(code="C-10"))
        renewed.expires_on = today + timedelta(days=80)
        db.session.commit()
        assert events.find_due(now) == 1
        assert recorded()[-1].key == f"certificate_90:{renewed.id}:{renewed.expires_on}"


def test_an_expired_product_on_sale_is_one_event_per_listing(app):
    now = utcnow()
    with app.app_context():
        today = local_date(now)
        producer = producer_named("HTX Sơn Hòa")
        expired = make_product("E-1", "Khẩu nhục", producer, certified_on=date(2022, 1, 1),
                               expires_on=today - timedelta(days=3))
        valid = make_product("E-2", "Ruốc lợn bản", producer)
        on_sale = make_listing(expired, "tiki", 1)
        sold_out = make_listing(expired, "voso", 2)
        proposal = make_listing(expired, "lazada", 3, approved=False)
        fine = make_listing(valid, "postmart", 4)
        db.session.commit()
        run = new_run(now - timedelta(hours=1))
        for listing, verdict in ((on_sale, "active"), (sold_out, "out_of_stock"),
                                 (proposal, "active"), (fine, "active")):
            check(run, listing, verdict, now - timedelta(hours=1))
        assert events.find_due(now) == 1
        (event,) = recorded()
        assert (event.kind, event.listing_id, event.product_id) == (
            "expired_on_sale", on_sale.id, expired.id)
        assert event.data["expires_on"] == expired.expires_on.isoformat()
        assert (event.data["producer_name"], event.data["marketplace"]) == ("HTX Sơn Hòa", "Tiki")
        assert events.find_due(now + timedelta(days=1)) == 0


def propose(client, url: str):
    return client.post("/products/LC-002/listings", headers={"HX-Request": "true"},
                       data={"url": url})


def proposal(app, item_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Listing.id).filter_by(item_id=item_id))


def test_proposals_approved_or_refused_are_events_for_the_producer(producer_client, officer,
                                                                   app, catalogue):
    propose(producer_client, "https://voso.vn/nuoc-mam-p77.html")
    propose(producer_client, "https://tiki.vn/nuoc-mam-p5.html")
    voso, tiki = proposal(app, "77"), proposal(app, "5")
    assert officer.post(f"/proposals/{voso}/refuse", data={"reason": ""}).status_code == 200
    with app.app_context():
        assert recorded() == []  # no reason, no refusal, no event
    officer.post(f"/proposals/{voso}/refuse", data={"reason": "Sai sản phẩm <b>"})
    officer.post(f"/proposals/{tiki}/approve")
    officer.post(f"/proposals/{voso}/approve")  # refused first, then accepted
    officer.post(f"/listings/{voso}/approve")  # already approved: nothing new
    with app.app_context():
        producer = producer_named("HTX Chè Hướng Tâm")
        rows = [(e.kind, e.listing_id, e.producer_id, e.data.get("note")) for e in recorded()]
        assert rows == [("proposal_refused", voso, producer.id, "Sai sản phẩm <b>"),
                        ("proposal_approved", tiki, producer.id, None),
                        ("proposal_approved", voso, producer.id, None)]
        assert recorded()[0].data["marketplace"] == "Voso"
        assert recorded()[0].data["code"] == "LC-002"
        assert recorded()[0].data["producer_name"] == "HTX Chè Hướng Tâm"
