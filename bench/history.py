"""Time what reads 24 months of check history: closing the months, the trend and the dashboard
on them, stats/share on past dates, what changed since last month, the monthly report.

Loads the generated registry (20,000 products, 100,000 listings), then writes one monthly run
per month for the 24 months before this one, each checking every listing once between 22:00
on the 3rd and the 5th (about 2.4 million rows, GENERATED SAMPLE DATA): most listings stay on
sale, some sell out for a while, some are found gone and confirmed removed the next month,
some are blocked — each check's status_after follows the app's rules. Then `ocop close-months`
freezes the 24 month-ends, and the requests are timed through the Flask test client.

    .venv/bin/python -m bench.history --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench
"""

import random
import statistics
import time
from datetime import datetime, timedelta

from bench.dashboard import filters, settle
from bench.import_export import OUT
from bench.import_export import run as run_ocop
from bench.product_list import PASSWORD, prepare
from bench.requests import median_p95, run

MONTHS = 24
CHUNK = 20_000


def fates(rng: random.Random) -> list[str]:
    """One listing's verdict for each month, oldest first, with the removal confirmed."""
    kind = rng.random()
    months: list[str] = []
    gone_from = rng.randrange(MONTHS) if kind < 0.08 else MONTHS
    for month in range(MONTHS):
        if month >= gone_from:
            months.append("removed")
        elif kind > 0.9 and rng.random() < 0.3:
            months.append("blocked")
        elif rng.random() < 0.07:
            months.append("out_of_stock")
        else:
            months.append("active")
    return months


def monthly_runs(first, total: int) -> list[tuple[int, datetime]]:
    """One finished run per month from `first`, started at 22:00 on the 3rd: (id, start)."""
    from ocop.extensions import db
    from ocop.localtime import stored, zone
    from ocop.models import CheckRun, add_months

    runs = []
    for n in range(MONTHS):
        month = add_months(first, n)
        start = stored(datetime(month.year, month.month, 3, 22, tzinfo=zone()))
        run = CheckRun(scope="due", origin="bench", state="done", total=total, degraded=[],
                       created_at=start, started_at=start, heartbeat_at=start,
                       finished_at=start + timedelta(hours=48), summary={})
        db.session.add(run)
        db.session.flush()
        runs.append((run.id, start))
    return runs


def write_history(uri: str, seed: int = 11) -> int:
    """The monthly runs' checks and the listings' resulting statuses; returns how many rows."""
    from sqlalchemy import bindparam, insert, select, update

    from ocop import create_app
    from ocop.extensions import db
    from ocop.localtime import month_of
    from ocop.models import ONLINE, Check, CheckRun, Listing, add_months, utcnow
    from ocop.workbook.apply import analyze

    rng = random.Random(seed)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        first = add_months(month_of(utcnow()), -MONTHS)
        ids = list(db.session.scalars(select(Listing.id).order_by(Listing.id)))
        runs = monthly_runs(first, len(ids))
        # The listings were registered before the history starts.
        db.session.execute(update(Listing).values(created_at=runs[0][1] - timedelta(days=30)))
        rows, current, written = [], [], 0
        for listing_id in ids:
            status, seen_gone, verified = None, None, None
            for (run_id, start), verdict in zip(runs, fates(rng), strict=True):
                at = start + timedelta(minutes=rng.randrange(48 * 60))
                phase = 1
                if verdict in ONLINE:
                    status, seen_gone, verified = verdict, None, at
                elif verdict == "removed" and status != "removed":
                    if seen_gone is None:
                        seen_gone = at
                    else:  # the next month's look confirms it
                        status, phase, verified = "removed", 2, at
                rows.append({"listing_id": listing_id, "run_id": run_id, "phase": phase,
                             "at": at, "verdict": verdict, "rule": "bench",
                             "status_after": status, "evidence": {"rule": "bench"}})
            current.append({"key": listing_id, "status": status, "verdict": verdict,
                            "at": at, "verified": verified})
            if len(rows) >= CHUNK:
                db.session.execute(insert(Check.__table__), rows)
                written += len(rows)
                rows = []
        if rows:
            db.session.execute(insert(Check.__table__), rows)
            written += len(rows)
        table = Listing.__table__
        db.session.connection().execute(
            update(table).where(table.c.id == bindparam("key")).values(
                status=bindparam("status"), last_verdict=bindparam("verdict"),
                last_checked_at=bindparam("at"), verified_at=bindparam("verified")), current)
        db.session.commit()
        analyze(Check, Listing, CheckRun)
        db.session.commit()
        db.engine.dispose()
    return written


def in_app(client, fn, count: int) -> tuple[float, float]:
    """Median and p95 ms of calling `fn()` inside the app (no HTTP)."""
    with client.application.app_context():
        fn()
        times = []
        for _ in range(count):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def measure(uri: str, count: int) -> list[tuple]:
    """Median and p95 ms of each request on the history, and the report's seconds."""
    from ocop import create_app
    from ocop.dashboard import assemble, figures, sources
    from ocop.localtime import local_date, month_end, month_of
    from ocop.models import add_months, utcnow
    from ocop.products.queries import communes

    client = create_app({"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False}).test_client()
    with client.application.app_context():
        current = month_of(utcnow())
        closed = [add_months(current, -n) for n in range(1, MONTHS + 1)]
        ends = [local_date(month_end(m)).isoformat() for m in closed]
        middles = [m.replace(day=15).isoformat() for m in closed]
        timed_filters = filters(communes())

    def share(days: list[str], extra: str = "") -> list[str]:
        return [f"/api/v1/stats/share?date={days[i % len(days)]}{extra}" for i in range(count)]

    results = [(name, "JSON", *median_p95(client, urls, {}, '"counted"')) for name, urls in (
        ("stats/share today", ["/api/v1/stats/share"] * count),
        ("stats/share, a closed month's end", share(ends)),
        ("stats/share, a closed month's end, by marketplace", share(ends, "&by=marketplace")),
        ("stats/share, mid-month (check history)", share(middles[:3])[:max(count // 5, 3)]))]

    def trend(filters_: figures.Filters):
        """The trend's own work: the closed months' cells (today's headline comes with the
        dashboard's figures, timed below)."""
        with client.application.app_context():
            source = sources.Live(utcnow())
            today = assemble.headline(source, filters_, source.cells(filters_))
        return lambda: assemble.trend(filters_, today)

    results.append(("24-month trend", "in app", *in_app(client, trend(figures.Filters()), count)))
    results.append(("24-month trend, marketplace filter", "in app",
                    *in_app(client, trend(figures.Filters(marketplace="shopee")), count)))
    results.append(("24-month trend, commune filter", "in app",
                    *in_app(client, trend(figures.Filters(commune=timed_filters["commune"][0]
                                                          .split("=", 1)[1])), count)))
    response = client.post("/login", data={"email": "officer@bench.vn", "password": PASSWORD})
    assert response.status_code == 303, response.text
    for name, queries in timed_filters.items():
        urls = [f"/dashboard/?{queries[i % len(queries)]}" for i in range(count)]
        for label, headers in (("full page", {}), ("htmx fragment", {"HX-Request": "true"})):
            results.append((f"dashboard with trend, filter: {name}", label,
                            *median_p95(client, urls, headers, 'id="trend"')))
    results.append(("what changed since last month", "htmx fragment",
                    *median_p95(client, ["/dashboard/changes"] * count, {"HX-Request": "true"},
                                'id="changes-came"')))
    for label, month in (("closed month", closed[0]), ("month in progress", current)):
        seconds, peak, _out = run_ocop(uri, "report", "--month", f"{month:%Y-%m}",
                                       str(OUT / f"report-{month:%Y-%m}.xlsx"))
        results.append((f"ocop report ({label})", f"{peak:.0f} MB peak", seconds * 1000,
                        float("nan")))
    return results


def main() -> None:
    """Load, write the history, close the months, settle and measure each backend."""

    def ready(uri: str, sizes: tuple[int, int, int]) -> None:
        prepare(uri, sizes)
        started = time.perf_counter()
        written = write_history(uri)
        print(f"{written:,} checks written in {time.perf_counter() - started:.0f} s", flush=True)
        seconds, peak, output = run_ocop(uri, "close-months")
        print(f"ocop close-months: {seconds:.1f} s, {peak:.0f} MB peak ({output})", flush=True)
        settle(uri)

    run(__doc__, ("what", "how", "median ms", "p95 ms"), ready,
        lambda uri, count, _prepared: measure(uri, count), requests=30)


if __name__ == "__main__":
    main()
