"""GET /api/v1/stats/share: the dashboard's figures as JSON, today or as they stood on a day."""

from datetime import timedelta

import pytest

from ocop.checks.record import record
from ocop.extensions import db
from ocop.localtime import day_end, local_date
from ocop.models import CheckRun, utcnow
from scrapers.model import Result, Target
from tests.conftest import make_product, producer_named
from tests.test_api import get_json, validator
from tests.test_dashboard import listing, province  # noqa: F401  (fixture)


def test_today_matches_the_dashboard(client, province):  # noqa: F811
    body = get_json(client, "/api/v1/stats/share")
    assert (body["counted"], body["online"], body["buyable"]) == (4, 2, 1)
    assert (body["share_online"], body["share_buyable"]) == (50.0, 25.0)
    by_group = get_json(client, "/api/v1/stats/share?by=group")
    assert [(g["key"], g["counted"], g["online"]) for g in by_group["groups"]] == [
        ("1", 2, 0), ("2", 2, 2)]
    postmart = [g for g in get_json(client, "/api/v1/stats/share?by=marketplace")["groups"]
                if g["key"] == "postmart"]
    assert (postmart[0]["online"], postmart[0]["share_online"]) == (2, 50.0)
    filtered = get_json(client, "/api/v1/stats/share?group=2&marketplace=voso")
    assert (filtered["counted"], filtered["online"]) == (2, 0)
    spec = get_json(client, "/api/v1/openapi.json")
    for body in (by_group, filtered):
        validator(spec, "Share").validate(body)


def test_a_past_date_reads_the_check_history(app, client):
    now = utcnow()
    with app.app_context():
        product = make_product("H-1", "Chè", producer_named("HTX Chè Hướng Tâm"))
        item = listing(product, "tiki", 1)
        run = CheckRun(scope="all", origin="test", degraded=[])
        db.session.add(run)
        db.session.commit()
        target = Target(item.id, item.canonical_url, "tiki", "tiki", frozenset())
        # On sale 40 days ago; found gone and confirmed 10 days ago.
        record(run.id, [Result(target, "active", {"rule": "test"}, now - timedelta(days=40))],
               phase=1, degraded=set(), confirm_after=timedelta(0))
        for phase in (1, 2):
            later = CheckRun(scope="all", origin="test", degraded=[])
            db.session.add(later)
            db.session.commit()
            record(later.id, [Result(target, "removed", {"rule": "test"},
                                     now - timedelta(days=10, hours=-phase))],
                   phase=phase, degraded=set(), confirm_after=timedelta(0))
        today = local_date(now)
    for days_ago, online in ((0, 0), (5, 0), (20, 1), (39, 1), (45, 0)):
        day = today - timedelta(days=days_ago)
        body = get_json(client, f"/api/v1/stats/share?date={day.isoformat()}")
        assert (body["date"], body["counted"], body["online"]) == (day.isoformat(), 1, online)


def test_day_end_is_the_last_moment_of_the_day_in_the_province(app):
    with app.app_context():
        end = day_end(local_date(utcnow()) - timedelta(days=1))
        assert (end.hour, end.minute, end.second) == (16, 59, 59)  # 23:59:59 in Hà Nội


@pytest.mark.parametrize("query", ["date=2026-13-01", "date=31/10/2026", "date=20261031",
                                   "date=2999-01-01", "by=month", "group=9",
                                   "marketplace=amazon"])
def test_bad_arguments_are_400_json(client, query):
    body = get_json(client, f"/api/v1/stats/share?{query}", 400)
    assert body["error"] == "invalid_parameter" and body["message"]
