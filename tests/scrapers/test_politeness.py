"""Politeness: limits checked on a fake clock, then measured on the server's side."""

import math
import random
import threading
import time

import pytest
from werkzeug import Response

from scrapers.fetch import Fetcher
from scrapers.model import Politeness
from scrapers.politeness import SLOW_CAP, SLOW_FLOOR, Limiter

from .conftest import Names, Recorder, settings, target


class Clock:
    """A clock that only moves when told to."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limiter(clock=None, **changes) -> Limiter:
    config = settings(**{"polite": True, "jitter": 0.0, **changes})
    return Limiter(config, clock=clock or Clock(), rng=random.Random(7))


def test_min_interval_between_starts():
    clock = Clock()
    limits = limiter(clock, marketplaces={"cho": Politeness(concurrency=5, min_interval=0.5)})
    first, _ = limits.poll("cho", "a")
    assert first is not None
    assert limits.poll("cho", "a") == (None, 0.5)
    assert limits.poll("khac", "b")[0] is not None  # another marketplace is not held up
    clock.now += 0.5
    assert limits.poll("cho", "a")[0] is not None


def test_jitter_spreads_the_interval():
    clock = Clock()
    limits = limiter(clock, jitter=0.5,
                     marketplaces={"cho": Politeness(concurrency=50, min_interval=1.0)})
    waits = []
    for _ in range(40):
        ticket, _ = limits.poll("cho", "a")
        waits.append(limits.poll("cho", "a")[1])
        limits.release(ticket)
        clock.now += 2
    assert all(0.5 <= wait <= 1.5 for wait in waits) and len(set(waits)) > 30


def test_not_polite_drops_intervals_but_keeps_concurrency():
    limits = limiter(polite=False, jitter=0.5,
                     marketplaces={"cho": Politeness(concurrency=2, min_interval=10.0)})
    tickets = [limits.poll("cho", "a")[0] for _ in range(2)]
    assert all(tickets)
    assert limits.poll("cho", "a") == (None, math.inf)
    limits.release(tickets[0], throttled=True)
    assert limits.factor("a") == 1.0  # no slow-down either
    assert limits.poll("cho", "a")[0] is not None


def test_marketplace_and_global_concurrency():
    limits = limiter(concurrency=3, marketplaces={
        "cho": Politeness(concurrency=2, min_interval=0), "khac": Politeness(2, 0)})
    cho = [limits.poll("cho", "a")[0] for _ in range(2)]
    assert limits.poll("cho", "a") == (None, math.inf)
    assert limits.poll("khac", "b")[0] is not None
    assert limits.poll("khac", "b") == (None, math.inf)  # 3 in flight over all
    limits.release(cho[0])
    assert limits.poll("khac", "b")[0] is not None


def test_slow_down_and_recovery():
    clock = Clock()
    limits = limiter(clock, marketplaces={"cho": Politeness(concurrency=9, min_interval=0.1)})
    for expected in (2.0, 4.0, 8.0, SLOW_CAP):
        ticket, _ = limits.poll("cho", "a")
        limits.release(ticket, throttled=True)
        assert limits.factor("a") == expected
        clock.now += 100
    ticket, _ = limits.poll("cho", "a")
    assert limits.poll("cho", "a") == (None, pytest.approx(SLOW_FLOOR * SLOW_CAP))
    assert limits.poll("cho", "b")[0] is None  # the marketplace interval still holds...
    clock.now += 0.1
    assert limits.poll("cho", "b")[0] is not None  # ...but the other host is not slowed
    limits.release(ticket, throttled=False)
    assert limits.factor("a") == pytest.approx(SLOW_CAP * 0.8)
    for _ in range(20):
        clock.now += 100
        ticket, _ = limits.poll("cho", "a")
        limits.release(ticket, throttled=False)
    assert limits.factor("a") == 1.0


def test_acquire_gives_up_when_the_turn_is_too_far():
    limits = limiter(marketplaces={"cho": Politeness(concurrency=2, min_interval=5.0)})
    limits.acquire("cho", "a", timeout=1.0)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        limits.acquire("cho", "a", timeout=1.0)
    assert time.monotonic() - started < 0.1  # it did not sleep on a wait it cannot finish


def test_acquire_waits_for_a_release_and_close_wakes_waiters():
    limits = Limiter(settings(polite=True, marketplaces={"cho": Politeness(1, 0)}))
    ticket = limits.acquire("cho", "a", timeout=1)
    threading.Timer(0.2, limits.release, (ticket,)).start()
    started = time.monotonic()
    limits.acquire("cho", "a", timeout=2)
    assert 0.15 < time.monotonic() - started < 1
    threading.Timer(0.2, limits.close).start()
    with pytest.raises(TimeoutError, match="stopped"):
        limits.acquire("cho", "a", timeout=5)


# Measured on the server: what a marketplace actually sees.


def hammer(config, urls, resolver=None, marketplace_of=lambda url: "cho"):
    """GET every URL at once, one thread each, through one fetcher; their statuses."""
    statuses = []
    with Fetcher(config, resolver=resolver) as fetcher:
        def one(url):
            hosts = (url.split("/")[2],)
            page = fetcher.visit(target(url, hosts=hosts, marketplace=marketplace_of(url)))(url)
            statuses.append(page.status)

        threads = [threading.Thread(target=one, args=(url,)) for url in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return statuses


def recording(server, recorder, delay=0.0, status=200):
    def handle(request):
        recorder.enter(request.path)
        time.sleep(delay)
        recorder.leave()
        return Response("ok", status)

    server.expect_request("/p").respond_with_handler(handle)


def test_min_interval_measured_by_the_server(server):
    recorder = Recorder()
    recording(server, recorder)
    config = settings(polite=True, jitter=0.0,
                      marketplaces={"cho": Politeness(concurrency=5, min_interval=0.25)})
    assert hammer(config, [server.url_for("/p")] * 5) == [200] * 5
    # 50 ms of slack for a loaded machine delaying a request's arrival (not the engine's spacing).
    assert min(recorder.gaps()) >= 0.2 and len(recorder.starts) == 5


def test_concurrency_measured_by_a_slow_server(server):
    recorder = Recorder()
    recording(server, recorder, delay=0.2)
    config = settings(marketplaces={"cho": Politeness(concurrency=2, min_interval=0)})
    assert hammer(config, [server.url_for("/p")] * 8) == [200] * 8
    assert recorder.most == 2


def test_global_limit_over_marketplaces(server):
    recorder = Recorder()
    recording(server, recorder, delay=0.2)
    names = Names({f"{name}.test": "127.0.0.1" for name in "abc"})
    urls = [f"http://{name}.test:{server.port}/p" for name in "abc" for _ in range(3)]
    config = settings(concurrency=2, marketplaces={
        name: Politeness(concurrency=4, min_interval=0) for name in "abc"})
    statuses = hammer(config, urls, names, marketplace_of=lambda url: url[7])
    assert statuses == [200] * 9 and recorder.most == 2


def test_not_polite_means_no_waiting(server):
    recorder = Recorder()
    recording(server, recorder)
    config = settings(polite=False, jitter=0.5,
                      marketplaces={"cho": Politeness(concurrency=5, min_interval=1.0)})
    started = time.monotonic()
    assert hammer(config, [server.url_for("/p")] * 5) == [200] * 5
    assert time.monotonic() - started < 0.5


def test_throttled_host_slowed_down(server):
    recorder = Recorder()

    def handle(request):
        recorder.enter()
        recorder.leave()
        return Response("", 429 if len(recorder.starts) == 1 else 200)

    server.expect_request("/p").respond_with_handler(handle)
    config = settings(polite=True, jitter=0.0, backoff=0.01,
                      marketplaces={"cho": Politeness(concurrency=2, min_interval=0.1)})
    assert hammer(config, [server.url_for("/p")]) == [200]
    assert recorder.gaps()[0] >= 2 * SLOW_FLOOR - 0.02  # not the 0.01 s backoff
