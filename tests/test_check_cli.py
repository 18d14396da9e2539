"""`ocop check` and `ocop worker`: scopes, JSON output, a run killed with SIGKILL and resumed,
and runs split into RQ jobs on the local Redis processed by several worker processes."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from ocop.checks import dispatch, runner, scope
from ocop.checks.cli import watch
from ocop.extensions import db
from ocop.models import Check, CheckRun, Listing, Marketplace
from tests.shop import BLOCKED, FAST, GONE, LIVE, SOLD_OUT, add_listings

REDIS = "redis://127.0.0.1:6379/15"
SCRIPTS = ([LIVE], [SOLD_OUT], [BLOCKED], [GONE], [LIVE], [LIVE])
EXPECTED = ["active", "out_of_stock", None, "removed", "active", "active"]


@pytest.fixture
def app_overrides():
    return FAST


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["ocop", "check", *args])


def statuses(app, ids) -> list[str | None]:
    with app.app_context():
        found = dict(db.session.execute(select(Listing.id, Listing.status)
                                        .where(Listing.id.in_(ids))).all())
        return [found[key] for key in ids]


def environment(database_uri: str, **extra) -> dict:
    """The environment of an `ocop` process on the test's database with the test settings."""
    env = {**os.environ, "OCOP_DATABASE_URL": database_uri, "OCOP_SECRET_KEY": "test"}
    env.update({f"OCOP_{key}": str(value) for key, value in {**FAST, **extra}.items()})
    return env


def ocop(*args) -> list[str]:
    return [sys.executable, "-c", "from ocop.cli import main; main()", *args]


def test_check_json_prints_the_run_and_its_counts(app, shop):
    ids = add_listings(app, shop, *SCRIPTS)
    result = invoke(app, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["state"] == "done" and summary["scope"] == "due"
    assert summary["verdicts"] == {"active": 3, "out_of_stock": 1, "blocked": 1, "removed": 1}
    assert summary["confirmed_removed"] == 1 and summary["total"] == 6
    assert statuses(app, ids) == EXPECTED
    # Everything is verified this month now but the blocked one: only it is still due.
    again = json.loads(invoke(app, "--json").output)
    assert again["total"] == 1 and again["verdicts"] == {"blocked": 1}


def test_check_scopes_and_bad_options(app, shop):
    ids = add_listings(app, shop, [LIVE], [LIVE])
    result = invoke(app, "--listing", str(ids[1]))
    assert result.exit_code == 0 and "1/1" in result.output and "Đang bán: 1" in result.output
    assert json.loads(invoke(app, "--product", "T-000", "--json").output)["total"] == 1
    assert json.loads(invoke(app, "--marketplace", "cho-thu", "--json").output)["total"] == 2
    unknown = invoke(app, "--marketplace", "khong-co")
    assert unknown.exit_code == 2 and "Không có sàn “khong-co”" in unknown.output
    both = invoke(app, "--all", "--product", "T-000")
    assert both.exit_code == 2 and "Chỉ chọn một" in both.output
    assert "Không có sản phẩm mã" in invoke(app, "--product", "X").output
    assert "Không có gian hàng số 99" in invoke(app, "--listing", "99").output


def test_a_run_killed_with_sigkill_resumes_without_checking_twice(app, shop, database_uri):
    ids = add_listings(app, shop, *([[LIVE]] * 12))
    shop.delay = 0.25
    with app.app_context():
        db.session.execute(db.update(Marketplace)
                           .values(concurrency=1))
        db.session.commit()
    env = environment(database_uri, RUN_STALE_SECONDS=1)
    first = subprocess.Popen(ocop("check", "--json"), env=env, stdout=subprocess.PIPE)
    with app.app_context():
        deadline = time.monotonic() + 30
        while not db.session.scalar(select(func.count()).select_from(Check)):
            assert time.monotonic() < deadline, "the first process recorded nothing"
            time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    with app.app_context():
        run = db.session.scalar(select(CheckRun))
        checked = set(db.session.scalars(select(Check.listing_id)))
        assert run.state == "running" and 0 < len(checked) < 12
    paths = [f"/p/{n}" for n, key in enumerate(ids) if key in checked]
    hits_at_kill = {path: shop.hits[path] for path in paths}
    time.sleep(1.1)  # the killed run's heartbeat goes silent
    shop.delay = 0
    second = subprocess.run(ocop("check", "--json"), env=env, capture_output=True, text=True,
                            timeout=60)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["run"] == run.id and summary["checked"] == 12
    # What the killed process recorded is not fetched again; what it had in flight is.
    assert {path: shop.hits[path] for path in paths} == hits_at_kill
    assert statuses(app, ids) == ["active"] * 12


@pytest.fixture
def redis_queue(app):
    """A queue of its own on the local Redis, emptied afterwards."""
    name = f"ocop-test-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=REDIS, RQ_QUEUE=name)
    yield name
    Queue(name, connection=Redis.from_url(REDIS)).delete(delete_jobs=True)


def test_a_run_on_rq_workers_gives_the_same_results(app, shop, redis_queue, database_uri,
                                                     monkeypatch):
    ids = add_listings(app, shop, *SCRIPTS)
    monkeypatch.setattr(scope, "PAGE", 4)  # listings read a few at a time...
    monkeypatch.setattr(dispatch, "CHUNK", 2)  # ...and split into three jobs
    queued = invoke(app, "--all", "--no-wait")
    assert queued.exit_code == 0, queued.output
    assert "Đã xếp 3 việc" in queued.output
    with app.app_context():
        run_id = db.session.scalar(select(CheckRun.id))
    env = environment(database_uri, REDIS_URL=REDIS, RQ_QUEUE=redis_queue)
    workers = [subprocess.Popen(ocop("worker", "--burst"), env=env) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=60) == 0
    with app.app_context():
        run = db.session.get(CheckRun, run_id)
        assert run.state == "done", run.error
        assert run.summary["verdicts"] == {"active": 3, "out_of_stock": 1, "blocked": 1,
                                           "removed": 1}
    assert statuses(app, ids) == EXPECTED


def test_the_cli_waits_for_workers_and_shows_the_same_summary(app, shop, redis_queue):
    add_listings(app, shop, [LIVE], [SOLD_OUT])
    with app.app_context():
        run, _ = runner.start("all", origin="test")
        dispatch.enqueue(run)
    dispatch.work(app, burst=True)
    with app.app_context():
        finished = watch(run.id, show_bar=False, interval=0.01)
        assert finished.summary["verdicts"] == {"active": 1, "out_of_stock": 1}


def test_worker_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["ocop", "worker", "--burst"])
    assert result.exit_code == 2 and "OCOP_REDIS_URL" in result.output


def test_a_second_check_of_the_same_scope_waits_for_the_first(app, shop):
    add_listings(app, shop, [LIVE])
    with app.app_context():
        run_id = runner.begin(runner.start("due", origin="test")[0].id).id
    refused = invoke(app)
    assert refused.exit_code == 1
    assert f"Lượt kiểm tra #{run_id} cùng phạm vi đang chạy" in refused.output


def test_an_abandoned_run_is_resumed_by_the_next_check(app, shop):
    add_listings(app, shop, [LIVE], [LIVE])
    app.config["RUN_STALE_SECONDS"] = 0
    with app.app_context():
        run_id = runner.start("due", origin="test")[0].id
    resumed = invoke(app)
    assert resumed.exit_code == 0
    assert f"Tiếp tục lượt kiểm tra #{run_id}: đã xong 0/2 gian hàng." in resumed.output
