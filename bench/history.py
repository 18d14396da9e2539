"""Time the share online as it stood on past dates, from 24 months of check history.

Loads the generated registry (20,000 products, 100,000 listings), then writes one check per
listing per month for 24 months (about 2.4 million rows, GENERATED SAMPLE DATA): most listings
stay on sale, some sell out for a while, some are found gone and confirmed removed, some are
blocked — each check's status_after follows the app's rules. Then it times
GET /api/v1/stats/share?date=<a past month's end> (with and without `by`), and today's.

    .venv/bin/python -m bench.history --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench
"""

import random
import time
from datetime import datetime, timedelta

from bench.dashboard import settle
from bench.product_list import prepare
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


def write_history(uri: str, seed: int = 11) -> int:
    """One check per listing per month-end for MONTHS months; returns how many rows."""
    from sqlalchemy import bindparam, insert, select, update

    from ocop import create_app
    from ocop.extensions import db
    from ocop.models import Check, Listing, utcnow
    from ocop.workbook.apply import analyze

    rng = random.Random(seed)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    now = utcnow()
    with app.app_context():
        ids = list(db.session.scalars(select(Listing.id).order_by(Listing.id)))
        rows, current, written = [], [], 0
        for listing_id in ids:
            status, seen_gone, verified = None, None, None
            for month, verdict in enumerate(fates(rng)):
                at = (now - timedelta(days=30 * (MONTHS - month))
                      + timedelta(hours=rng.randrange(48)))
                phase = 1
                if verdict in ("active", "out_of_stock"):
                    status, seen_gone, verified = verdict, None, at
                elif verdict == "removed" and status != "removed":
                    if seen_gone is None:
                        seen_gone = at
                    else:  # the next month's look confirms it
                        status, phase, verified = "removed", 2, at
                rows.append({"listing_id": listing_id, "run_id": None, "phase": phase, "at": at,
                             "verdict": verdict, "rule": "bench", "status_after": status,
                             "evidence": {"rule": "bench"}})
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
        analyze(Check, Listing)
        db.session.commit()
        db.engine.dispose()
    return written


def measure(uri: str, count: int) -> list[tuple]:
    """Median and p95 ms of stats/share on past month-ends, with and without `by`, and today."""
    from ocop import create_app

    client = create_app({"SQLALCHEMY_DATABASE_URI": uri}).test_client()
    today = datetime.now().date()
    days = [(today - timedelta(days=30 * n + 15)).isoformat() for n in range(1, MONTHS)]
    cases = [("today", ["/api/v1/stats/share"] * count),
             ("today, by group", ["/api/v1/stats/share?by=group"] * count),
             ("past date", [f"/api/v1/stats/share?date={days[i % len(days)]}"
                            for i in range(count)]),
             ("past date, by marketplace",
              [f"/api/v1/stats/share?date={days[i % len(days)]}&by=marketplace"
               for i in range(count)])]
    results = [(name, *median_p95(client, urls, {}, '"counted"')) for name, urls in cases]
    started = time.perf_counter()
    for day in days:  # what a 24-month trend asks for, one month-end after the other
        client.get(f"/api/v1/stats/share?date={day}")
    results.append(("24 month-ends in a row (trend)",
                    (time.perf_counter() - started) * 1000, float("nan")))
    return results


def main() -> None:
    """Load, write the history, settle and measure each backend."""

    def ready(uri: str, sizes: tuple[int, int, int]) -> None:
        prepare(uri, sizes)
        started = time.perf_counter()
        written = write_history(uri)
        settle(uri)
        print(f"{written:,} checks written in {time.perf_counter() - started:.0f} s", flush=True)

    run(__doc__, ("request", "median ms", "p95 ms"), ready,
        lambda uri, count, _prepared: measure(uri, count), requests=30)


if __name__ == "__main__":
    main()
