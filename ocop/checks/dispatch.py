"""Where a run is carried out: split into RQ jobs when OCOP_REDIS_URL is set, for `ocop worker`
processes anywhere that share the database and Redis, else on a thread of the web process.
The jobs call the very functions an in-process run uses."""

import threading

from flask import Flask, current_app
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Dependency
from sqlalchemy import and_

from ..extensions import db
from ..models import CheckRun, Listing
from . import runner, scope

CHUNK = 250  # listings per job: small enough to spread over workers, big enough to batch
JOB_TIMEOUT = 6 * 3600  # a chunk at the slowest politeness; the finishing job waits too


def enabled() -> bool:
    """Whether runs go to workers through Redis (OCOP_REDIS_URL is set)."""
    return bool(current_app.config["REDIS_URL"])


def queue() -> Queue:
    """The check queue on the configured Redis."""
    connection = Redis.from_url(current_app.config["REDIS_URL"])
    return Queue(current_app.config["RQ_QUEUE"], connection=connection)


def workers() -> int:
    """How many worker processes listen on the queue (they share each marketplace's limits)."""
    jobs_queue = queue()
    return max(1, Worker.count(connection=jobs_queue.connection, queue=jobs_queue))


def enqueue(run: CheckRun) -> int:
    """Queue a job per chunk of the run's remaining listings and one that finishes the run
    after them; returns how many chunk jobs. A resumed run queues only what is left."""
    jobs_queue = queue()
    condition = and_(scope.in_scope(run), scope.unchecked(run.id))
    chunks, chunk = [], []
    for listing_id in scope.listing_ids(condition):
        chunk.append(listing_id)
        if len(chunk) == CHUNK:
            chunks.append(chunk)
            chunk = []
    if chunk:
        chunks.append(chunk)
    jobs = [jobs_queue.enqueue(check_chunk, run.id, ids, job_timeout=JOB_TIMEOUT)
            for ids in chunks]
    depends = Dependency(jobs=jobs, allow_failure=True) if jobs else None
    jobs_queue.enqueue(finish_run, run.id, depends_on=depends, job_timeout=JOB_TIMEOUT)
    return len(jobs)


def check_chunk(run_id: int, listing_ids: list[int]) -> None:
    """One job: check the listings of the chunk that the run has not checked yet."""
    try:
        run = runner.begin(run_id)
        condition = and_(Listing.id.in_(listing_ids), scope.in_scope(run),
                         scope.unchecked(run_id))
        runner.check_pass(run_id, condition, workers=workers())
    finally:
        db.session.remove()  # the worker's next job starts with a clean session


def finish_run(run_id: int) -> None:
    """The last job: confirm the run's removals and close it."""
    try:
        runner.confirm_removals(run_id)
        runner.finish(run_id)
    except BaseException as exc:
        runner.fail(run_id, exc)
        raise
    finally:
        db.session.remove()


def work(app: Flask, *, burst: bool = False) -> None:
    """Process check jobs in this process until stopped (or, with `burst`, until none are left).

    A SimpleWorker runs each job in this process, inside the app context, so the database
    engine is never shared with a forked child.
    """
    with app.app_context():
        jobs_queue = queue()
        worker = SimpleWorker([jobs_queue], connection=jobs_queue.connection)
        worker.work(burst=burst, with_scheduler=False)
        db.session.remove()


def launch(run: CheckRun) -> None:
    """Start `run` where this deployment runs checks: on the queue, else on a thread."""
    if enabled():
        enqueue(run)
    else:
        in_background(current_app._get_current_object(), run.id)


def in_background(app: Flask, run_id: int) -> threading.Thread:
    """Run `run_id` on a thread of the web process (no Redis): the page polls its progress."""

    def target() -> None:
        with app.app_context():
            try:
                runner.execute(run_id)
            except Exception:  # recorded on the run by runner.fail; the thread just ends
                app.logger.exception("check run %s failed", run_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=target, name=f"check-run-{run_id}", daemon=True)
    thread.start()
    return thread
