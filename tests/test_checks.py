"""Check runs against a real imitation marketplace on 127.0.0.1: verdicts become history and
statuses by the rules of DOMAIN.md, removals are confirmed, the breaker trips, runs resume."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from ocop.checks import runner
from ocop.checks.record import State, apply
from ocop.checks.rules import RULES, rule_text
from ocop.checks.settings import allowed_networks, engine_settings
from ocop.extensions import db
from ocop.models import Check, CheckRun, Listing, Marketplace, utcnow
from scrapers.model import FetchError, Politeness
from tests.shop import BLOCKED, DOWN, FAST, GONE, LIVE, SOLD_OUT, add_listings


@pytest.fixture
def app_overrides():
    return FAST


def run_all(app, scope_name="all", scope_id=None) -> CheckRun:
    with app.app_context():
        run, _ = runner.start(scope_name, scope_id, origin="test")
        run = runner.execute(run.id)
        db.session.refresh(run)
        db.session.expunge(run)
        return run


def listing(app, listing_id) -> Listing:
    with app.app_context():
        item = db.session.get(Listing, listing_id)
        db.session.expunge(item)
        return item


def checks_of(app, listing_id) -> list[Check]:
    with app.app_context():
        rows = db.session.scalars(select(Check).where(Check.listing_id == listing_id)
                                  .order_by(Check.id)).all()
        db.session.expunge_all()
        return rows


def test_a_run_records_every_verdict_and_applies_only_decisive_ones(app, shop):
    live, sold_out, blocked, down = add_listings(
        app, shop, [LIVE], [SOLD_OUT], [BLOCKED], [DOWN], status="active",
        verified_at=utcnow() - timedelta(days=3))
    run = run_all(app)
    assert run.state == "done"
    assert run.summary["verdicts"] == {"active": 1, "out_of_stock": 1, "blocked": 1,
                                       "unreachable": 1}
    assert (run.summary["checked"], run.summary["total"]) == (4, 4)
    assert listing(app, live).status == "active"
    assert listing(app, sold_out).status == "out_of_stock"
    # Blocked and unreachable keep the last decisive status, but show what was seen.
    for key, verdict in ((blocked, "blocked"), (down, "unreachable")):
        item = listing(app, key)
        assert (item.status, item.last_verdict) == ("active", verdict)
        assert item.verified_at < item.last_checked_at
        assert item.evidence["chain"][-1]["status"] in (403, 503)
    evidence = listing(app, live).evidence
    assert evidence["title"] == "Chè Bát tiên" and evidence["price"] == 150000
    assert evidence["final_url"] == shop.url("/p/0")
    history = checks_of(app, live)
    assert [(c.verdict, c.status_after, c.run_id, c.phase) for c in history] == [
        ("active", "active", run.id, 1)]


def test_a_removal_is_applied_only_after_a_second_look_at_least_the_delay_later(app, shop):
    (gone,) = add_listings(app, shop, [GONE], status="active")
    run = run_all(app)
    item = listing(app, gone)
    assert item.status == "removed" and item.removal_seen_at is None
    first, second = checks_of(app, gone)
    assert (first.phase, first.verdict, first.status_after) == (1, "removed", "active")
    assert (second.phase, second.verdict, second.status_after) == (2, "removed", "removed")
    assert (second.at - first.at).total_seconds() >= FAST["REMOVAL_CONFIRM_SECONDS"]
    assert run.summary["confirmed_removed"] == 1


def test_a_listing_that_comes_back_before_confirmation_is_never_marked_removed(app, shop):
    (flaky,) = add_listings(app, shop, [GONE, LIVE], status="active")
    run_all(app)
    item = listing(app, flaky)
    assert (item.status, item.removal_seen_at) == ("active", None)
    assert [c.status_after for c in checks_of(app, flaky)] == ["active", "active"]


def test_a_listing_blocked_on_the_second_look_stays_pending(app, shop):
    (pending,) = add_listings(app, shop, [GONE, BLOCKED], status="active")
    run_all(app)
    item = listing(app, pending)
    assert item.status == "active" and item.removal_seen_at is not None
    assert item.last_verdict == "blocked"


@pytest.mark.parametrize("verdict", ["blocked", "unreachable", "unknown"])
def test_apply_never_removes_or_changes_on_a_verdict_that_did_not_see_the_listing(verdict):
    now = datetime(2026, 11, 1, 8)
    state = State("active", now - timedelta(days=1), now - timedelta(days=1),
                  now - timedelta(hours=1))
    assert apply(state, verdict, now, confirming=True, degraded=False,
                 confirm_after=timedelta(seconds=60)) == state


def test_apply_rules_for_removal():
    now = datetime(2026, 11, 1, 8)
    fresh = State("active", None, None, None)
    wait = timedelta(seconds=60)
    seen = apply(fresh, "removed", now, confirming=False, degraded=False, confirm_after=wait)
    assert seen == State("active", None, None, now)
    too_soon = apply(seen, "removed", now + timedelta(seconds=30), confirming=True,
                     degraded=False, confirm_after=wait)
    assert too_soon == seen
    later = now + timedelta(seconds=61)
    assert apply(seen, "removed", later, confirming=True, degraded=False,
                 confirm_after=wait) == State("removed", later, None, None)
    assert apply(seen, "removed", later, confirming=True, degraded=True,
                 confirm_after=wait) == seen
    assert apply(fresh, "removed", now, confirming=False, degraded=True,
                 confirm_after=wait) == fresh
    assert apply(seen, "out_of_stock", later, confirming=False, degraded=False,
                 confirm_after=wait) == State("out_of_stock", later, later, None)


def test_the_breaker_pauses_a_failing_marketplace_and_it_removes_nothing(app, shop):
    ids = add_listings(app, shop, *([[BLOCKED]] * 6 + [[GONE]] * 6), status="active")
    with app.app_context():
        db.session.execute(db.update(Marketplace).values(concurrency=1))
        db.session.commit()
    run = run_all(app)
    assert run.degraded == ["cho-thu"]
    assert run.summary["paused"] >= 1
    assert run.summary["checked"] + run.summary["paused"] == 12
    for key in ids:
        item = listing(app, key)
        assert item.status == "active" and item.removal_seen_at is None


def test_due_scope_skips_listings_verified_this_month(app, shop):
    now = utcnow()
    fresh, old, never = add_listings(app, shop, [LIVE], [LIVE], [LIVE])
    with app.app_context():
        db.session.execute(db.update(Listing).where(Listing.id == fresh)
                           .values(verified_at=now, status="active"))
        db.session.execute(db.update(Listing).where(Listing.id == old)
                           .values(verified_at=now - timedelta(days=40), status="active"))
        db.session.commit()
    run = run_all(app, "due")
    assert run.total == 2
    assert [len(checks_of(app, key)) for key in (fresh, old, never)] == [0, 1, 1]


def test_a_second_start_of_the_same_scope_is_refused_while_the_first_is_alive(app, shop):
    add_listings(app, shop, [LIVE])
    with app.app_context():
        run, resumed = runner.start("all", origin="test")
        assert not resumed
        runner.begin(run.id)
        with pytest.raises(runner.RunInProgress) as refused:
            runner.start("all", origin="test")
        assert refused.value.run.id == run.id


def test_an_abandoned_run_is_resumed_and_skips_what_it_checked(app, shop):
    ids = add_listings(app, shop, [LIVE], [LIVE], [SOLD_OUT])
    with app.app_context():
        run_id = runner.start("all", origin="test")[0].id
        # The first process checked one listing, then died: its heartbeat went silent.
        runner.check_pass(run_id, Listing.id == ids[0])
        db.session.execute(db.update(CheckRun).values(
            heartbeat_at=utcnow() - timedelta(minutes=10), state="running"))
        db.session.commit()
    hits_before = shop.hits["/p/0"]
    with app.app_context():
        resumed, was_resumed = runner.start("all", origin="test")
        assert (resumed.id, was_resumed) == (run_id, True)
        assert runner.execute(resumed.id).summary["checked"] == 3
    assert shop.hits["/p/0"] == hits_before
    with app.app_context():
        per_listing = dict(db.session.execute(
            select(Check.listing_id, func.count()).where(Check.run_id == run_id)
            .group_by(Check.listing_id)).all())
    assert per_listing == dict.fromkeys(ids, 1)


def test_stale_listings_are_those_not_verified_within_the_window():
    now = datetime(2026, 11, 22)
    checked = Listing(last_checked_at=now, verified_at=now - timedelta(days=46))
    assert checked.stale(45, now)
    assert not Listing(last_checked_at=now, verified_at=now - timedelta(days=44)).stale(45, now)
    never_verified = Listing(last_checked_at=now, verified_at=None)
    never_verified.created_at = now - timedelta(days=46)
    assert never_verified.stale(45, now)
    never_verified.created_at = now - timedelta(days=2)  # added lately: give it time
    assert not never_verified.stale(45, now)
    assert not Listing().stale(45, now)  # never checked: not stale, just unchecked


def test_every_rule_reads_as_words(app):
    with app.test_request_context():
        assert rule_text("http-404") == "Sàn trả mã 404: trang không tồn tại"
        assert rule_text("http-503") == "Sàn trả mã HTTP 503"
        assert rule_text("api-http-500") == "Sàn trả mã HTTP 500"
        assert rule_text("a-new-rule") == "a-new-rule"
        assert rule_text(None) == ""
        for kind in FetchError.VERDICT_OF:  # every way a fetch can fail has its words
            assert f"fetch-{kind}" in RULES


def test_workers_sharing_a_run_share_each_marketplace_politeness(app):
    with app.app_context():
        alone, shared = engine_settings(), engine_settings(workers=3)
    assert alone.politeness("postmart") == Politeness(4, 0.5)
    assert shared.politeness("postmart") == Politeness(1, 1.5)
    assert shared.politeness("tiktok") == Politeness(1, 6.0)


def test_engine_settings_name_the_operator_and_parse_networks(app):
    app.config.update(SCRAPER_CONTACT="sct@laocai.gov.vn",
                      SCRAPER_ALLOWED_NETWORKS="127.0.0.1/32, ::1/128")
    with app.app_context():
        settings = engine_settings()
    assert settings.user_agent == ("OCOPListingTracker/0.1 (OCOP listing verification for "
                                   "Lao Cai province; +sct@laocai.gov.vn)")
    assert settings.allowed_networks == ("127.0.0.1/32", "::1/128")
    assert settings.accept_language.startswith("vi-VN")
    with pytest.raises(ValueError):
        allowed_networks("127.0.0.300/32")


def test_a_listing_the_engine_cannot_handle_is_reported_and_the_run_goes_on(app, shop):
    odd, fine = add_listings(app, shop, [LIVE], [LIVE], status="active")
    with app.app_context():  # a malformed address that slipped into the registry
        db.session.execute(db.update(Listing).where(Listing.id == odd).values(
            canonical_url="http://[::1/broken"))
        db.session.commit()
    run = run_all(app)
    assert run.state == "done" and run.summary["checked"] == 2
    item = listing(app, odd)
    assert (item.status, item.last_verdict) == ("active", "unknown")
    assert item.evidence["rule"] == "fetch-bad_url" and item.evidence["error"]["detail"]
    assert listing(app, fine).last_verdict == "active"
