"""`ocop check` spread over processes: every listing checked once by one of them, each
marketplace's politeness shared out, and no process left behind when the run is killed."""

import json
import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select

from ocop.checks import processes, runner
from ocop.checks.settings import engine_settings
from ocop.extensions import db
from ocop.models import Check, Listing, Marketplace
from scrapers.model import Politeness
from tests.shop import FAST, LIVE, add_listings
from tests.test_check_cli import EXPECTED, SCRIPTS, environment, invoke, ocop, statuses


@pytest.fixture
def app_overrides():
    return FAST


def test_a_run_spread_over_processes_checks_each_listing_once(app, shop):
    ids = add_listings(app, shop, *SCRIPTS, *([[LIVE]] * 10))
    result = invoke(app, "--processes", "3", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["state"] == "done" and summary["checked"] == 16
    assert summary["verdicts"] == {"active": 13, "out_of_stock": 1, "blocked": 1, "removed": 1}
    assert summary["confirmed_removed"] == 1
    assert statuses(app, ids) == EXPECTED + ["active"] * 10
    # One GET per page in the pass, the removed page once more to confirm it.
    assert [shop.hits[f"/p/{n}"] for n in range(16)] == [1, 1, 1, 2] + [1] * 12
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Check)
                                 .where(Check.phase == 1)) == 16


def test_progress_counts_the_checks_of_every_process(app, shop):
    add_listings(app, shop, *([[LIVE]] * 9))
    seen = []
    with app.app_context():
        run, _ = runner.start("all", origin="test")
        runner.execute(run.id, parts=3, on_progress=seen.append)
    assert sum(seen) == 9


def shares(parts: int, fetch: str | None = None) -> list[set[int]]:
    """The listing ids of each part."""
    return [set(db.session.scalars(select(Listing.id).join(Marketplace)
                                   .where(processes.share(part, parts, fetch))))
            for part in range(parts)]


def test_shares_split_only_what_the_marketplaces_allow(app, shop):
    ids = add_listings(app, shop, *([[LIVE]] * 6))  # "cho-thu": 4 at once, read by HTTP
    with app.app_context():
        slow = Marketplace(name="Chợ chậm", slug="cho-cham", adapter="generic", concurrency=1,
                           min_interval=0)
        scripted = Marketplace(name="Chợ kịch bản", slug="cho-kich-ban", adapter="generic",
                               concurrency=4, min_interval=0, fetch="auto")
        db.session.add_all([slow, scripted])
        for listing in db.session.scalars(select(Listing).where(Listing.id.in_(ids[:4]))):
            listing.marketplace = slow if listing.id in ids[:3] else scripted
        db.session.commit()
        for parts in (2, 3):
            found = shares(parts)
            assert set().union(*found) == set(ids)
            assert sum(len(part) for part in found) == len(ids)  # each listing in one part
            assert any(part >= set(ids[:3]) for part in found)  # one part has all "cho-cham"
            assert ids[3] in found[0]  # a browser may read it: the one browser is in part 0
        assert shares(2, fetch="browser")[0] == set(ids)
        assert shares(1) == [set(ids)]
        split = engine_settings(parts=2)
        assert split.politeness("cho-thu") == Politeness(2, 0.0)
        assert split.politeness("cho-cham") == Politeness(1, 0.0)
        assert split.politeness("cho-kich-ban") == Politeness(4, 0.0)
        assert split.politeness("postmart") == Politeness(2, 1.0)  # seeded: 4 at once, 0.5 s
        assert split.politeness("tiktok") == Politeness(1, 2.0)  # seeded: 1 at once, auto
        assert engine_settings(parts=2, fetch="browser").politeness("postmart") == \
            Politeness(4, 0.5)


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as found:
        return [int(child) for child in found.read().split()]


def test_a_killed_check_leaves_none_of_its_processes(app, shop, database_uri):
    add_listings(app, shop, *([[LIVE]] * 12))
    shop.delay = 0.25
    first = subprocess.Popen(ocop("check", "--json", "--processes", "2", "--concurrency", "2"),
                             env=environment(database_uri), stdout=subprocess.PIPE)
    with app.app_context():
        deadline = time.monotonic() + 30
        while not db.session.scalar(select(func.count()).select_from(Check)):
            assert time.monotonic() < deadline, "the run recorded nothing"
            time.sleep(0.1)
    forked = children(first.pid)
    assert len(forked) == 1
    first.send_signal(signal.SIGKILL)
    first.communicate()
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{forked[0]}") and _state(forked[0]) != "Z":
        assert time.monotonic() < deadline, "the forked part outlived the killed check"
        time.sleep(0.05)


def _state(pid: int) -> str:
    """A process's state letter (Z: a zombie, already dead); "" once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""
