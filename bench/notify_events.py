"""Time recording a monthly run's events (ocop.notify.events) over 100,000 listings.

Loads the generated registry (20,000 products, 100,000 listings) and 24 months of monthly runs
(bench.history, GENERATED SAMPLE DATA), then writes this month's run: every listing checked
once, about 5% of them changing state (sold out, back on sale, confirmed removed, blocked
again after a blocked month), each check's status_after following the app's rules. Times the
run's end recording its events, then the same again (a rerun: nothing new).

    .venv/bin/python -m bench.notify_events \
        --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench_events
"""

import random
import time
from datetime import datetime, timedelta

from bench.dashboard import settle
from bench.history import CHUNK, write_history
from bench.product_list import prepare
from bench.requests import run


def verdicts(status: str | None, rng: random.Random) -> list[str]:
    """This month's verdicts (a second one: the removal's confirmation) of a listing."""
    roll = rng.random()
    if status == "active" and roll < 0.02:
        return ["out_of_stock"]
    if status == "active" and roll < 0.03:
        return ["removed", "removed"]
    if roll < 0.045:
        return ["blocked"]
    if status in ("out_of_stock", "removed") and roll < 0.3:
        return ["active"]
    return [status or "active"]


def write_month(uri: str, seed: int = 5) -> tuple[int, int]:
    """This month's monthly run and its checks (listings updated as record would); (run id,
    checks)."""
    from sqlalchemy import bindparam, insert, select, update

    from ocop import create_app
    from ocop.extensions import db
    from ocop.localtime import month_of, stored, zone
    from ocop.models import Check, CheckRun, Listing, utcnow

    rng = random.Random(seed)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        month = month_of(utcnow())
        start = stored(datetime(month.year, month.month, 1, 22, tzinfo=zone()))
        run_ = CheckRun(scope="due", origin="bench", state="done", degraded=[],
                        created_at=start, started_at=start, finished_at=start + timedelta(hours=8))
        db.session.add(run_)
        db.session.flush()
        rows, current, written = [], [], 0
        for listing_id, status in db.session.execute(select(Listing.id, Listing.status)
                                                     .order_by(Listing.id)).all():
            at = start + timedelta(minutes=rng.randrange(6 * 60))
            for phase, verdict in enumerate(verdicts(status, rng), start=1):
                if verdict in ("active", "out_of_stock") or phase == 2:
                    status = verdict
                rows.append({"listing_id": listing_id, "run_id": run_.id, "phase": phase,
                             "at": at + timedelta(minutes=90 * (phase - 1)), "verdict": verdict,
                             "rule": "bench", "status_after": status,
                             "evidence": {"rule": "bench"}})
            current.append({"key": listing_id, "status": status, "verdict": verdict})
            if len(rows) >= CHUNK:
                db.session.execute(insert(Check.__table__), rows)
                written, rows = written + len(rows), []
        db.session.execute(insert(Check.__table__), rows)
        table = Listing.__table__
        db.session.connection().execute(
            update(table).where(table.c.id == bindparam("key")).values(
                status=bindparam("status"), last_verdict=bindparam("verdict")), current)
        db.session.commit()
        db.engine.dispose()
        return run_.id, written + len(rows)


def ready(uri: str, sizes: tuple[int, int, int]) -> int:
    """The registry, its history and this month's run; the run's id."""
    prepare(uri, sizes)
    started = time.perf_counter()
    written = write_history(uri)
    run_id, checks = write_month(uri)
    print(f"{written + checks:,} checks written in {time.perf_counter() - started:.0f} s",
          flush=True)
    settle(uri)
    return run_id


def measure(uri: str, _count: int, run_id: int) -> list[tuple]:
    """The run's events recorded, then recorded again: ms and how many were new, per kind."""
    from sqlalchemy import func, select

    from ocop import create_app
    from ocop.extensions import db
    from ocop.models import CheckRun, Event
    from ocop.notify import events

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    results = []
    with app.app_context():
        for label in ("run's end", "the same again"):
            started = time.perf_counter()
            new = events.record_run(db.session.get(CheckRun, run_id))
            db.session.commit()
            results.append((label, (time.perf_counter() - started) * 1000, str(new)))
        per_kind = db.session.execute(select(Event.kind, func.count()).group_by(Event.kind))
        results.append(("events per kind", float("nan"),
                        ", ".join(f"{kind} {n}" for kind, n in sorted(per_kind))))
        db.engine.dispose()
    return results


def main() -> None:
    run(__doc__, ("what", "ms", "new events"), ready, measure, requests=1)


if __name__ == "__main__":
    main()
