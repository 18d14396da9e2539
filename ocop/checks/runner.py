"""Check runs: starting or resuming one, its pass over the scope, confirming removals, finishing.

The same functions serve a run in this process (`ocop check`, the web app's thread) and a run
split into RQ jobs (`jobs.py`): each batch is recorded in its own transaction, so any number of
processes can share a run and a killed one loses nothing but the batch in flight.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, select, update

from scrapers.breaker import FAILING, Breaker
from scrapers.engine import check_many
from scrapers.model import Result

from ..extensions import db
from ..models import Check, CheckRun, Listing, Marketplace, User, utcnow
from ..shops import checking as seller_api
from . import processes, scope, screenshots
from .record import record
from .settings import engine_settings
from .signals import run_finished

BATCH = 200  # results per transaction
BATCH_SECONDS = 1.0  # ...or fewer, so progress moves on a slow run


class RunInProgress(Exception):
    """Another process is working on a run of the same scope."""

    def __init__(self, run: CheckRun):
        super().__init__(f"run {run.id} is in progress")
        self.run = run


def alive(run: CheckRun) -> bool:
    """Whether some process has shown signs of working on `run` lately (its heartbeat)."""
    silence = timedelta(seconds=float(current_app.config["RUN_STALE_SECONDS"]))
    return utcnow() - (run.heartbeat_at or run.created_at) < silence


def start(scope_name: str, scope_id: int | None = None, label: str | None = None, *,
          origin: str, user: User | None = None,
          fetch: str | None = None) -> tuple[CheckRun, bool]:
    """A new run, or the unfinished run of the same scope that a killed process left behind
    (True when resumed); raises RunInProgress when that run is still being worked on. `fetch`
    reads every listing of a new run that way, whatever its marketplace says."""
    unfinished = db.session.scalar(
        select(CheckRun).where(CheckRun.scope == scope_name, CheckRun.scope_id == scope_id,
                               CheckRun.state.not_in(("done", "failed")))
        .order_by(CheckRun.id.desc()).limit(1))
    if unfinished is not None:
        if alive(unfinished):
            raise RunInProgress(unfinished)
        unfinished.heartbeat_at = utcnow()  # claim it before the next process looks
        db.session.commit()
        return unfinished, True
    run = CheckRun(scope=scope_name, scope_id=scope_id, scope_label=label, origin=origin,
                   started_by=user, created_at=utcnow(), degraded=[], fetch=fetch)
    run.total = scope.count(run)
    db.session.add(run)
    db.session.commit()
    return run, False


def execute(run_id: int, *, concurrency: int | None = None, parts: int = 1,
            on_progress: Callable[[int], None] | None = None) -> CheckRun:
    """Run `run_id` to the end on this machine: its pass (spread over `parts` processes, which
    share the `concurrency`), then its confirmations."""
    run = begin(run_id)
    condition = and_(scope.in_scope(run), scope.unchecked(run.id))
    fetch = run.fetch
    total = concurrency or int(current_app.config["SCRAPER_CONCURRENCY"])
    threads = max(1, total // max(parts, 1))
    if parts > 1 and on_progress:  # the other parts' checks count too: read them from the run
        on_progress = run_progress(run_id, on_progress)

    def work(part: int) -> None:
        check_pass(run_id, and_(condition, processes.share(part, parts, fetch)),
                   concurrency=threads, parts=parts,
                   on_progress=on_progress if part == 0 else None)  # one process reports

    try:
        processes.spread(work, parts)
        if parts > 1 and on_progress:
            on_progress(0)  # what the other parts did after this one's last batch
        confirm_removals(run_id, concurrency=concurrency)
        return finish(run_id)
    except BaseException as exc:
        fail(run_id, exc)
        raise


def begin(run_id: int) -> CheckRun:
    """Mark `run_id` as running (the first process to start it sets the start time)."""
    run = db.session.get(CheckRun, run_id)
    run.state = "running" if run.state == "queued" else run.state
    run.started_at = run.started_at or utcnow()
    run.heartbeat_at = utcnow()
    db.session.commit()
    return run


def check_pass(run_id: int, condition, *, concurrency: int | None = None, workers: int = 1,
               parts: int = 1, on_progress: Callable[[int], None] | None = None) -> None:
    """Check every listing matching `condition` once and record the results in batches
    (`workers`, `parts`: see engine_settings): those of connected shops by asking their
    marketplace's API first, the others (and those the API could not answer) by their pages."""
    breaker = load_breaker(run_id)
    run = db.session.get(CheckRun, run_id)
    if run.fetch is None:  # a run told how to read pages ("in the browser") reads them so
        seller_api.check_pass(run_id, condition, confirm_after=confirm_after(),
                              on_progress=on_progress)
    degraded = set(run.degraded)
    results = check_many(scope.targets(condition, scope.hosts_by_marketplace(), run.fetch),
                         engine_settings(concurrency, workers, parts=parts, fetch=run.fetch),
                         paused=degraded.__contains__)
    for batch in batches(tripping(results, breaker, degraded)):
        counts = record(run_id, batch, phase=1, degraded=degraded,
                        confirm_after=confirm_after())
        degraded.update(share_degraded(run_id, degraded))
        if on_progress:
            on_progress(sum(counts.values()))


def run_progress(run_id: int, on_progress: Callable[[int], None]) -> Callable[[int], None]:
    """A progress callback that reports what every process has done for the run since the
    last call, read from the run's checks, whatever this process's own batch was."""
    seen = progress(db.session.get(CheckRun, run_id))["done"]

    def report(_count: int) -> None:
        nonlocal seen
        done = progress(db.session.get(CheckRun, run_id))["done"]
        on_progress(done - seen)
        seen = done

    return report


def tripping(results: Iterable[Result], breaker: Breaker,
             degraded: set[str]) -> Iterator[Result]:
    """The results as they come, fed to the breaker: a marketplace that trips joins `degraded`
    at once, so the engine pauses its next listings and none of its verdicts removes one."""
    for result in results:
        if result.verdict:
            breaker.record(result.target.marketplace, result.verdict)
            if breaker.tripped(result.target.marketplace):
                degraded.add(result.target.marketplace)
        yield result


def share_degraded(run_id: int, degraded: set[str]) -> list[str]:
    """Write this process's degraded marketplaces to the run and read those other workers
    found (the row is locked: several workers may trip at once)."""
    run = db.session.get(CheckRun, run_id, with_for_update=True)
    if missing := degraded - set(run.degraded):
        run.degraded = [*run.degraded, *sorted(missing)]
    db.session.commit()
    return run.degraded


def confirm_removals(run_id: int, *, concurrency: int | None = None) -> None:
    """Look again at the listings this run found gone, once the confirmation delay has passed;
    none on a marketplace the run found degraded."""
    run = db.session.get(CheckRun, run_id)
    run.state = "confirming"
    run.heartbeat_at = utcnow()
    db.session.commit()
    seen_in_run = exists().where(Check.run_id == run_id, Check.listing_id == Listing.id,
                                 Check.phase == 1)
    condition = and_(Listing.removal_seen_at.is_not(None), seen_in_run,
                     scope.unchecked(run_id, phase=2), Marketplace.slug.not_in(run.degraded))
    latest = db.session.scalar(select(func.max(Listing.removal_seen_at)).join(Marketplace)
                               .where(condition))
    if latest is None:
        return
    wait_until(run_id, latest + confirm_after())
    results = check_many(scope.targets(condition, scope.hosts_by_marketplace(), run.fetch),
                         engine_settings(concurrency))
    for batch in batches(results):
        record(run_id, batch, phase=2, degraded=set(), confirm_after=confirm_after())


def finish(run_id: int) -> CheckRun:
    """Close the run with its counts."""
    run = db.session.get(CheckRun, run_id)
    mark_done(run, utcnow())
    db.session.commit()
    screenshots.prune(run.finished_at)
    run_finished.send(current_app._get_current_object(), run=run)
    return run


def mark_done(run: CheckRun, at: datetime) -> None:
    """Give `run` its counts and mark it done at `at`."""
    run.summary = summary(run)
    run.state = "done"
    run.finished_at = run.heartbeat_at = at


def fail(run_id: int, exc: BaseException) -> None:
    """Record why a run stopped and announce it; a Ctrl-C leaves it to be resumed instead."""
    db.session.rollback()
    if isinstance(exc, KeyboardInterrupt):
        return
    db.session.execute(update(CheckRun).where(CheckRun.id == run_id).values(
        state="failed", error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=utcnow()))
    db.session.commit()
    run_finished.send(current_app._get_current_object(), run=db.session.get(CheckRun, run_id))


def confirm_after() -> timedelta:
    """How far apart two not-found observations must be to mark a listing removed."""
    return timedelta(seconds=float(current_app.config["REMOVAL_CONFIRM_SECONDS"]))


def wait_until(run_id: int, moment) -> None:
    """Sleep until `moment`, beating the run's heart so nobody takes it for abandoned."""
    while (remaining := (moment - utcnow()).total_seconds()) > 0:
        time.sleep(min(remaining, 10.0))
        db.session.execute(update(CheckRun).where(CheckRun.id == run_id)
                           .values(heartbeat_at=utcnow()))
        db.session.commit()


def batches(results: Iterable[Result]) -> Iterator[list[Result]]:
    """Results grouped by size or time, whichever comes first."""
    batch: list[Result] = []
    started = time.monotonic()
    for result in results:
        batch.append(result)
        if len(batch) >= BATCH or time.monotonic() - started >= BATCH_SECONDS:
            yield batch
            batch, started = [], time.monotonic()
    if batch:
        yield batch


def load_breaker(run_id: int) -> Breaker:
    """A circuit breaker that knows what this run has seen so far (a resumed run, a worker)."""
    config = current_app.config
    breaker = Breaker(share=float(config["BREAKER_SHARE"]),
                      minimum=int(config["BREAKER_MINIMUM"]))
    failing = func.count().filter(Check.verdict.in_(sorted(FAILING)))
    rows = db.session.execute(
        select(Marketplace.slug, func.count(), failing)
        .select_from(Check).join(Listing).join(Marketplace)
        .where(Check.run_id == run_id, Check.phase == 1).group_by(Marketplace.slug))
    for slug, total, failed in rows:
        breaker.add_counts(slug, total, failed)
    return breaker


def progress(run: CheckRun) -> dict:
    """Where a run stands: listings checked per verdict, paused, removals confirmed."""
    verdicts = dict(db.session.execute(
        select(Check.verdict, func.count())
        .where(Check.run_id == run.id, Check.phase == 1).group_by(Check.verdict)).all())
    confirmed = db.session.scalar(select(func.count()).select_from(Check).where(
        Check.run_id == run.id, Check.phase == 2, Check.status_after == "removed"))
    checked = sum(verdicts.values())
    done = min(run.total, checked + run.paused)
    return {"total": run.total, "checked": checked, "paused": run.paused, "done": done,
            "verdicts": verdicts, "confirmed_removed": confirmed,
            "percent": round(100 * done / run.total) if run.total else 100}


def summary(run: CheckRun) -> dict:
    """What a finished run reports: its progress figures and degraded marketplaces."""
    return {**progress(run), "degraded": list(run.degraded)}
