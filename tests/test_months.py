"""Closed months: each listing's state and the share cells frozen at a month's end agree with
the check history replayed to that moment, and stay as they were."""

from datetime import date, datetime, timedelta

import pytest

from ocop.checks.record import record
from ocop.dashboard import assemble, months, sources
from ocop.dashboard.figures import Filters
from ocop.extensions import db
from ocop.localtime import local_date, month_end, month_of, stored, zone
from ocop.models import CheckRun, Listing, ListingMonth, MonthClose, ShareCell, add_months, utcnow
from scrapers.model import Result, Target
from tests.conftest import make_product, producer_named
from tests.helpers import HTMX, assert_fragment, assert_full_page
from tests.test_api import get_json
from tests.test_dashboard import listing


def at(months_back: int, day: int) -> datetime:
    """Noon in the province on `day` of the month `months_back` before this one."""
    month = add_months(month_of(utcnow()), -months_back)
    return stored(datetime(month.year, month.month, day, 12, tzinfo=zone()))


def seen(item: Listing, verdict: str, when: datetime, phase: int = 1) -> int:
    """One check of `item` at `when`, recorded through the real rules by a run of that time."""
    run = CheckRun(scope="all", origin="test", degraded=[], created_at=when)
    db.session.add(run)
    db.session.commit()
    target = Target(item.id, item.canonical_url, item.marketplace.slug, item.marketplace.adapter,
                    frozenset())
    record(run.id, [Result(target, verdict, {"rule": "test"}, when)], phase=phase,
           degraded=set(), confirm_after=timedelta(0))
    return run.id


@pytest.fixture
def history(app):
    """Three products over the last four months: A on sale, then only sold out on another
    marketplace, then stale; B on sale, then confirmed removed; C never listed."""
    with app.app_context():
        producer = producer_named("HTX Chè Hướng Tâm")
        a = make_product("M-A", "Chè A", producer, certified_on=date(2024, 1, 1))
        b = make_product("M-B", "Chè B", producer, certified_on=date(2024, 1, 1), category=2)
        make_product("M-C", "Chè C", producer, certified_on=date(2024, 1, 1))
        a1, a2 = listing(a, "postmart", 1), listing(a, "shopee", 2)
        b1 = listing(b, "tiki", 3)
        db.session.flush()
        for item in (a1, a2, b1):
            item.created_at = at(5, 1)
        db.session.commit()
        runs = [seen(a1, "active", at(4, 10)), seen(b1, "active", at(4, 12)),
                seen(a2, "out_of_stock", at(3, 20)), seen(b1, "removed", at(3, 4)),
                seen(b1, "removed", at(3, 5), phase=2)]
        return {"a1": a1.id, "a2": a2.id, "b1": b1.id, "runs": runs}


def totals(cells) -> tuple[int, int, int]:
    return (sum(c.counted for c in cells), sum(c.online for c in cells),
            sum(c.buyable for c in cells))


def test_closing_freezes_what_the_history_says_at_each_month_end(app, history):
    with app.app_context():
        closed = months.close_due()
        first = add_months(month_of(utcnow()), -4)
        assert closed == [add_months(first, n) for n in range(4)]
        expected = [(3, 2, 2), (3, 1, 0), (3, 1, 0), (3, 0, 0)]
        for month, figures_then in zip(closed, expected, strict=True):
            closing = db.session.get(MonthClose, month)
            assert totals(sources.Closed(closing).cells(Filters())) == figures_then
            replayed = sources.Live(closing.as_of, replay=True)
            assert totals(replayed.cells(Filters())) == figures_then
        states = {row.listing_id: row for row in db.session.scalars(
            db.select(ListingMonth).where(ListingMonth.month == closed[1]))}
        assert (states[history["a1"]].status, states[history["a1"]].stale) == ("active", True)
        assert (states[history["a2"]].online, states[history["a2"]].buyable) == (True, False)
        assert (states[history["b1"]].status, states[history["b1"]].online) == ("removed", False)
        assert states[history["b1"]].verified_at == at(3, 5)
        runs = db.session.get(MonthClose, closed[1]).runs
        assert {r["id"] for r in runs} == set(history["runs"][2:])  # older than the window: out


def test_a_closed_month_keeps_its_figures_and_marketplaces(app, history):
    with app.app_context():
        months.close_due()
        first = db.session.get(MonthClose, add_months(month_of(utcnow()), -4))
        frozen = sources.Closed(first)
        rows = {r.key: r.online.part for r in assemble.by_marketplace(frozen, Filters(), 3)}
        assert (rows["postmart"], rows["tiki"], rows["shopee"]) == (1, 1, 0)
        assert totals(frozen.cells(Filters(marketplace="tiki"))) == (3, 1, 1)
        assert totals(frozen.cells(Filters(category=2))) == (1, 1, 1)
        db.session.delete(db.session.get(Listing, history["b1"]))  # its checks go with it
        db.session.commit()
        assert totals(frozen.cells(Filters())) == (3, 2, 2)
        assert months.close_due() == []  # nothing left to close, nothing closed twice
        assert db.session.scalar(db.select(db.func.count()).select_from(ShareCell).where(
            ShareCell.month == first.month, ShareCell.marketplace_id == months.ANY)) == 2


def test_a_month_is_closed_only_once_it_is_over(app, history):
    with app.app_context():
        with pytest.raises(ValueError):
            months.close(month_of(utcnow()))
        assert local_date(month_end(date(2026, 2, 1))) == date(2026, 2, 28)


def test_the_dashboard_draws_the_trend_from_the_closed_months(app, officer, history):
    with app.app_context():
        months.close_due()
        closed = [m.strftime("%d/%m/%Y") for m in (local_date(month_end(add_months(
            month_of(utcnow()), -n))) for n in (4, 3, 2, 1))]
    page = assert_full_page(officer.get("/dashboard/"), "trend")
    rows = [[td.text.strip() for td in tr.find_all("td")]
            for tr in page.find(id="trend-table").select("tbody tr")]
    assert [r[0] for r in rows[1:]] == closed[::-1]  # newest first, after today's
    assert rows[-1][1:] == ["2/3 (66,7%)", "2/3 (66,7%)"]  # the oldest month: A and B on sale
    assert rows[-2][1:] == ["1/3 (33,3%)", "0/3 (0,0%)"]  # A only sold out, B removed
    assert len(page.find(id="trend").select("svg.trend-chart circle.online")) == 5
    tiki = assert_fragment(officer.get("/dashboard/?marketplace=tiki", headers=HTMX), "trend")
    rows = [[td.text.strip() for td in tr.find_all("td")]
            for tr in tiki.find(id="trend-table").select("tbody tr")]
    assert rows[-1][1:] == ["1/3 (33,3%)", "1/3 (33,3%)"]  # only B was on Tiki


def test_what_changed_since_last_month(app, officer, history):
    with app.app_context():
        months.close_due()
        a1 = db.session.get(Listing, history["a1"])
        seen(a1, "active", utcnow() - timedelta(hours=1))  # back on sale this month
    changes = assert_fragment(officer.get("/dashboard/changes", headers=HTMX),
                              "changes").find(id="changes")
    assert "M-A · Postmart" in changes.find(id="changes-came").text
    assert "Không có." in changes.find(id="changes-lost").text
    assert "M-A" in changes.find(id="changes-back").text  # offline at the end of last month


def test_before_any_month_is_closed_there_is_nothing_to_compare(officer):
    changes = assert_fragment(officer.get("/dashboard/changes", headers=HTMX), "changes")
    assert "Chưa có tháng nào được chốt số liệu" in changes.text
    page = assert_full_page(officer.get("/dashboard/"), "trend")
    assert len(page.find(id="trend-table").select("tbody tr")) == 1  # today only


def test_the_api_reads_a_closed_month_end_from_its_frozen_figures(app, client, history):
    with app.app_context():
        months.close_due()
        first = add_months(month_of(utcnow()), -4)
        day = local_date(month_end(first))
        closing = db.session.get(MonthClose, first)
        db.session.execute(db.update(ShareCell).where(ShareCell.month == first,
                                                      ShareCell.marketplace_id == months.ANY)
                           .values(online=ShareCell.counted))  # mark the frozen figures
        db.session.commit()
        assert sources.at(day, utcnow()).closing is closing
        assert sources.at(day - timedelta(days=1), utcnow()).replay
    body = get_json(client, f"/api/v1/stats/share?date={day.isoformat()}&by=marketplace")
    assert (body["counted"], body["online"], body["buyable"]) == (3, 3, 2)
    assert {g["key"]: g["online"] for g in body["groups"]}["tiki"] == 1
    before = get_json(client, f"/api/v1/stats/share?date={(day - timedelta(days=1)).isoformat()}")
    assert (before["counted"], before["online"]) == (3, 2)  # from the history


def test_a_month_is_due_a_few_minutes_after_its_end(app, history):
    with app.app_context():
        last = add_months(month_of(utcnow()), -1)
        assert last not in months.due(month_end(last) + timedelta(minutes=1))  # batches land
        assert months.due(month_end(last) + timedelta(minutes=6))[-1] == last


def test_a_run_that_finishes_closes_the_months_before_it(app, history):
    from ocop.checks import runner

    with app.app_context():
        run = CheckRun(scope="all", origin="test", degraded=[], state="running")
        db.session.add(run)
        db.session.commit()
        runner.finish(run.id)
        assert len(db.session.scalars(db.select(MonthClose)).all()) == 4
        assert db.session.get(CheckRun, run.id).state == "done"


def test_close_months_from_the_command_line(app, history):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ocop", "close-months"])
    assert result.exit_code == 0 and "Closed 4 month(s)" in result.output
    assert "Closed 0 month(s)." in runner.invoke(args=["ocop", "close-months"]).output


def test_a_failure_to_close_the_months_leaves_the_run_done(app, history, monkeypatch, caplog):
    from ocop.checks import runner

    def broken(now=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(months, "close_due", broken)
    with app.app_context():
        run = CheckRun(scope="all", origin="test", degraded=[], state="running")
        db.session.add(run)
        db.session.commit()
        assert runner.finish(run.id).state == "done"
        assert db.session.scalars(db.select(MonthClose)).all() == []
    assert "closing the months that have ended failed" in caplog.text


def test_the_trend_speaks_english_too(officer, history):
    officer.post("/lang/en")
    page = assert_full_page(officer.get("/dashboard/"), "trend")
    assert page.find(id="trend").h2.text == "Month by month"
    assert "Download the report (.xlsx)" in page.find(id="report").text
