"""Time `queue_due` after a monthly run over a province-sized registry, on SQLite and PostgreSQL.

Loads the generated registry (bench.dataset: 100,000 listings of 20,000 products of 5,000
producers), one producer account per producer and 50 officers (half of them choose a daily
digest of every listing event), the province's webhook, the last month closed (its figures
frozen) with its `month_closed` event, and the events of a run in which 5% of the listings
changed state (listing_removed / listing_out_of_stock / listing_back, keyed per listing and run
as ocop.notify.events keys them) recorded late yesterday, so that every kind of message is due:
producers' at once, officers' daily digests of yesterday and everyone's monthly digest. Then a
child process builds and queues every message (`ocop.notify.queue.queue_due`, committed), and a
second call checks that nothing is queued twice. The child's wall time around the call, and its
peak resident memory (its ru_maxrss, read with os.wait4; the loading is another child, so that
figure is the queue's own), are reported.

    .venv/bin/python -m bench.notify --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench
"""

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from bench.dataset import generate, load_database
from bench.import_export import OUT, backend_arguments, fresh_postgresql, fresh_sqlite

OFFICERS = 50
CHANGED = 0.05  # the share of listings whose state changed in the run
KINDS = ("listing_removed", "listing_out_of_stock", "listing_back")


def load(uri: str, sizes: tuple[int, int, int]) -> None:
    """The registry, the accounts, the closed month and the run's events."""
    load_database(generate(*sizes), uri)
    from sqlalchemy import insert, select

    from ocop import create_app
    from ocop.audit import acting_as
    from ocop.dashboard import months
    from ocop.extensions import db
    from ocop.localtime import day_end, local_date, month_of
    from ocop.models import (
        CheckRun,
        Event,
        Listing,
        NotificationPreference,
        Product,
        User,
        Webhook,
        add_months,
        utcnow,
    )
    from ocop.workbook.apply import analyze

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context(), acting_as("bench"):
        now = utcnow()
        joined = now - timedelta(days=90)  # accounts older than anything they hear about
        stamp = {"version": 1, "created_at": joined, "updated_at": joined,
                 "password_hash": "not-a-password"}
        producers = list(db.session.scalars(select(Product.producer_id).distinct()))
        db.session.execute(insert(User), [
            {**stamp, "email": f"producer{p}@bench.vn", "role": "producer", "producer_id": p}
            for p in producers])
        officers = list(db.session.scalars(insert(User).returning(User.id), [
            {**stamp, "email": f"officer{n}@bench.vn", "role": "officer"}
            for n in range(OFFICERS)]))
        db.session.execute(insert(NotificationPreference), [
            {"user_id": officer, "kind": kind, "frequency": "daily"}
            for officer in officers[::2] for kind in KINDS])
        db.session.add(Webhook(scope="province", url="https://hook.bench.vn/ocop",
                               secret_sealed="sealed", created_at=joined))
        run = CheckRun(origin="cli", scope="all", state="done", started_at=now,
                       finished_at=now)
        db.session.add(run)
        db.session.commit()
        months.close(add_months(month_of(now), -1))
        db.session.add(Event(kind="month_closed", key=f"month_closed:{month_of(now):%Y-%m}",
                             at=now - timedelta(hours=2)))
        listings = db.session.execute(
            select(Listing.id, Listing.product_id, Product.producer_id).join(Product)
            .order_by(Listing.id)).all()
        step = round(1 / CHANGED)
        at = day_end(local_date(now) - timedelta(days=1)) - timedelta(hours=1)
        events = [{"kind": KINDS[n % len(KINDS)], "key": f"{KINDS[n % len(KINDS)]}:listing:"
                   f"{listing}:run:{run.id}", "at": at, "producer_id": producer,
                   "product_id": product, "listing_id": listing, "run_id": run.id, "data": {}}
                  for n, (listing, product, producer) in enumerate(listings[::step])]
        for start in range(0, len(events), 5000):
            db.session.execute(insert(Event), events[start:start + 5000])
        analyze(User, Event)
        db.session.commit()
        db.engine.dispose()


def queue(uri: str) -> None:
    """Queue every message due, then again (nothing more): print the figures as JSON."""
    from sqlalchemy import select

    from ocop import create_app
    from ocop.extensions import db
    from ocop.models import Delivery, utcnow
    from ocop.notify.queue import queue_due

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "PUBLIC_URL": "https://ocop.bench.vn"})
    with app.app_context():
        started = time.perf_counter()
        added = queue_due(utcnow())
        db.session.commit()
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = queue_due(utcnow())
        db.session.commit()
        rerun = time.perf_counter() - started
        kinds = Counter(f"{key.split(':')[0]}:{channel}" for key, channel
                        in db.session.execute(select(Delivery.key, Delivery.channel)))
        db.engine.dispose()
    print(json.dumps({"queued": added, "seconds": seconds, "again": again,
                      "rerun_seconds": rerun, "by_kind": kinds}))


def child(*args: str) -> tuple[float, float, str]:
    """Run this module with `args` in a child process: wall seconds, peak resident MB and
    output; it must succeed."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bench.notify", *args],
                               stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench.notify {args[0]} failed:\n{output}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, output.strip()


def bench(name: str, uri: str, sizes: tuple[int, int, int]) -> dict:
    """Load one database in a child, then queue in another."""
    seconds, _mb, _out = child("load", uri, *map(str, sizes))
    print(f"{name}: loaded in {seconds:.1f} s", flush=True)
    wall, megabytes, output = child("queue", uri)
    found = json.loads(output.splitlines()[-1])
    print(f"{name}: {found} (child {wall:.1f} s, peak {megabytes:.0f} MB)", flush=True)
    return {"name": name, **found, "peak_mb": megabytes}


def main() -> None:
    """Command line: the bench, or (internally) one of its child steps."""
    if len(sys.argv) > 2 and sys.argv[1] == "load":
        load(sys.argv[2], tuple(int(n) for n in sys.argv[3:6]))
        return
    if len(sys.argv) > 2 and sys.argv[1] == "queue":
        queue(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    backend_arguments(parser)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    sizes = (args.products, args.producers, args.listings)
    rows = []
    if not args.skip_sqlite:
        rows.append(bench("sqlite", fresh_sqlite(), sizes))
    if args.postgresql:
        rows.append(bench("postgresql", fresh_postgresql(args.postgresql), sizes))
    print("\n| database | messages queued | queue_due s | peak MB | second call |"
          "\n|---|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['name']} | {r['queued']:,} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | "
              f"{r['again']} queued in {r['rerun_seconds']:.1f} s |")


if __name__ == "__main__":
    main()
