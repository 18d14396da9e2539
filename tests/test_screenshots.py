"""The browser route's screenshots: stored with the checks of a batch, kept for status changes
and each listing's latest, the others pruned once older than the retention."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from ocop.checks import runner, screenshots
from ocop.checks.record import record
from ocop.extensions import db
from ocop.listings import operations
from ocop.models import Check, CheckRun, Listing, Screenshot, utcnow
from scrapers.model import Result, Target
from tests.shop import FAST, LIVE, add_listings

JPEG = b"\xff\xd8\xff" + b"picture"


@pytest.fixture
def app_overrides():
    return FAST


def observe(app, key: int, verdict: str, at, shot: bytes | None = JPEG) -> int:
    """Record one check of listing `key` at `at` in a run of its own; its check's id."""
    with app.app_context():
        run = CheckRun(scope="listing", origin="test", degraded=[])
        db.session.add(run)
        db.session.commit()
        target = Target(key=key, url="http://x/p", adapter="generic", marketplace="cho-thu",
                        hosts=frozenset({"x"}))
        record(run.id, [Result(target, verdict, {"rule": "test"}, at, screenshot=shot)],
               phase=1, degraded=set(), confirm_after=timedelta(seconds=60))
        return db.session.scalar(select(Check.id).where(Check.run_id == run.id))


def kept(app) -> dict[int, bool]:
    with app.app_context():
        return dict(db.session.execute(select(Screenshot.check_id, Screenshot.changed)).all())


def prune(app, days: int, now) -> int:
    app.config["SCREENSHOT_RETENTION_DAYS"] = days
    with app.app_context():
        return screenshots.prune(now)


def test_a_check_with_a_screenshot_stores_it_and_whether_it_changed_the_status(app, shop):
    (key,) = add_listings(app, shop, [LIVE])
    now = utcnow()
    first = observe(app, key, "active", now - timedelta(minutes=3))
    same = observe(app, key, "active", now - timedelta(minutes=2))
    walled = observe(app, key, "blocked", now - timedelta(minutes=1))
    without = observe(app, key, "out_of_stock", now, shot=None)
    assert kept(app) == {first: True, same: False, walled: False}
    with app.app_context():
        assert db.session.get(Screenshot, first).data == JPEG
        assert db.session.get(Check, without).status_after == "out_of_stock"
        assert screenshots.latest(key).check_id == walled


def test_prune_keeps_status_changes_the_latest_and_the_young(app, shop):
    (key,) = add_listings(app, shop, [LIVE])
    now = utcnow()
    days = {age: observe(app, key, "active" if age > 100 else "out_of_stock",
                         now - timedelta(days=age))
            for age in (200, 150, 100, 10, 5)}  # the status changes at 200 and 100 days
    assert prune(app, 90, now) == 1  # only the one of 150 days ago
    assert sorted(kept(app)) == sorted(days[age] for age in (200, 100, 10, 5))
    assert prune(app, 0, now) == 1  # the one of 10 days: neither a change nor the latest
    assert sorted(kept(app)) == sorted(days[age] for age in (200, 100, 5))
    assert prune(app, 0, now) == 0


def test_a_finished_run_prunes(app, shop):
    (key,) = add_listings(app, shop, [LIVE])
    now = utcnow()
    observe(app, key, "active", now - timedelta(days=400))
    old = observe(app, key, "active", now - timedelta(days=300))
    observe(app, key, "active", now - timedelta(days=200))
    with app.app_context():
        run = db.session.scalar(select(CheckRun).order_by(CheckRun.id.desc()))
        runner.finish(run.id)
    assert old not in kept(app)


def test_a_listing_removed_from_the_registry_takes_its_screenshots(app, shop):
    (key,) = add_listings(app, shop, [LIVE])
    observe(app, key, "active", utcnow())
    with app.app_context():
        operations.remove_listing(db.session.get(Listing, key))
    assert kept(app) == {}
