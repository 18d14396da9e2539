"""The engine: streaming, scheduling across marketplaces, evidence, and the circuit breaker."""

import contextlib
import json
import threading
import time
from datetime import timedelta

import pytest
from werkzeug import Response

from scrapers.breaker import Breaker
from scrapers.engine import check_many, check_one, utcnow
from scrapers.model import FetchError, Finding, Politeness, Target

from .conftest import Recorder, settings, target


class ByStatus:
    """A test adapter: the listing page's status decides."""

    def check(self, target: Target, fetch) -> Finding:
        page = fetch(target.url)
        verdict = {200: "active", 404: "removed", 403: "blocked"}.get(page.status, "unknown")
        return Finding(verdict, f"http-{page.status}", page.text()[:50], title="Trà sen",
                       price=290000, availability="InStock")


class Raising:
    def check(self, target, fetch):
        raise ValueError("the page made no sense")


class Nonsense:
    def check(self, target, fetch):
        return {"verdict": "active"}


class Swallowing:
    """Fetches something off-site, then decides anyway: the error does not decide."""

    def check(self, target, fetch):
        with contextlib.suppress(FetchError):
            fetch("http://elsewhere.example/api")
        return Finding("unknown", "no-signals")


ADAPTERS = {"status": ByStatus(), "raising": Raising(), "nonsense": Nonsense(),
            "swallowing": Swallowing()}


def run(targets, config=None, **options):
    """Every result of check_many with the test adapters."""
    return list(check_many(targets, config or settings(), adapters=ADAPTERS.__getitem__,
                           **options))


def targets_for(server, count, path="/p", marketplace="cho", adapter="status", start=0):
    return [target(server.url_for(path), marketplace=marketplace, adapter=adapter, key=start + n)
            for n in range(count)]


def test_one_check_with_evidence(server):
    server.expect_request("/old").respond_with_data("", 301, {"Location": "/new"})
    server.expect_request("/new").respond_with_data("<h1>Trà sen</h1>", content_type="text/html")
    listing = target(server.url_for("/old"), adapter="status")
    result = check_one(listing, settings(), adapters=ADAPTERS.__getitem__)
    assert result.target is listing and result.verdict == "active"
    evidence = result.evidence
    assert json.loads(json.dumps(evidence)) == evidence
    assert evidence["chain"] == [{"status": 301, "url": server.url_for("/old")},
                                 {"status": 200, "url": server.url_for("/new")}]
    assert evidence["requests"] == [{"url": server.url_for("/old"), "status": 200,
                                     "chain": evidence["chain"]}]
    assert {key: evidence[key] for key in ("adapter", "url", "final_url", "rule", "detail",
                                           "title", "price", "availability", "attempts")} == {
        "adapter": "status", "url": server.url_for("/old"), "final_url": server.url_for("/new"),
        "rule": "http-200", "detail": "<h1>Trà sen</h1>", "title": "Trà sen", "price": 290000,
        "availability": "InStock", "attempts": 2}
    assert 0 <= evidence["elapsed"] < 2 and "error" not in evidence
    assert result.checked_at.tzinfo is None
    assert abs(result.checked_at - utcnow()) < timedelta(seconds=5)


def test_check_one_with_the_registered_adapters(server):
    server.expect_request("/p").respond_with_data("Không tìm thấy", 404)
    result = check_one(target(server.url_for("/p"), adapter="generic"), settings())
    assert (result.verdict, result.evidence["rule"]) == ("removed", "http-404")


def test_fetch_error_decides(server):
    server.expect_request("/p").respond_with_data("", 302, {"Location": "http://elsewhere/"})
    result = check_one(target(server.url_for("/p"), adapter="status"), settings(),
                       adapters=ADAPTERS.__getitem__)
    assert (result.verdict, result.evidence["rule"]) == ("unknown", "fetch-off_site")
    assert result.evidence["error"]["kind"] == "off_site"
    assert result.evidence["final_url"] == server.url_for("/p")
    assert result.evidence["chain"] == [{"status": 302, "url": server.url_for("/p")}]


def test_unreachable_after_retries(server):
    server.expect_request("/p").respond_with_data("", 503)
    result = check_one(target(server.url_for("/p"), adapter="status"), settings(retries=1),
                       adapters=ADAPTERS.__getitem__)
    assert (result.verdict, result.evidence["rule"]) == ("unreachable", "fetch-status")
    assert result.evidence["attempts"] == 2


def test_a_caught_fetch_error_does_not_decide(server):
    result = check_one(target(server.url_for("/p"), adapter="swallowing"), settings(),
                       adapters=ADAPTERS.__getitem__)
    assert result.verdict == "unknown" and "error" not in result.evidence
    assert result.evidence["requests"][0]["error"] == "off_site"


@pytest.mark.parametrize(("adapter", "detail"), [
    ("raising", "ValueError('the page made no sense')"), ("nonsense", "TypeError"),
    ("missing", "KeyError")])
def test_adapter_failure_is_unknown(server, adapter, detail):
    result = check_one(target(server.url_for("/p"), adapter=adapter), settings(),
                       adapters=ADAPTERS.__getitem__)
    assert (result.verdict, result.evidence["rule"]) == ("unknown", "adapter-error")
    assert detail in result.evidence["detail"]


def test_tickets_of_checks_that_never_fetch_are_given_back(server):
    config = settings(marketplaces={"cho": Politeness(concurrency=1, min_interval=0)})
    results = run(targets_for(server, 5, adapter="raising"), config)
    assert [r.evidence["rule"] for r in results] == ["adapter-error"] * 5


def test_bad_url_is_unknown():
    result = check_one(Target(1, "ftp://shop.example/p", "status", "cho",
                              frozenset({"shop.example"})),
                       settings(), adapters=ADAPTERS.__getitem__)
    assert (result.verdict, result.evidence["rule"]) == ("unknown", "fetch-bad_url")


def test_many_targets_streamed_with_bounded_read_ahead(server):
    server.expect_request("/p").respond_with_data("ok")
    pulled = 0
    peak_ahead = 0

    def source():
        nonlocal pulled
        for listing in targets_for(server, 300):
            pulled += 1
            yield listing

    keys = []
    for result in check_many(source(), settings(concurrency=4), read_ahead=10,
                             adapters=ADAPTERS.__getitem__):
        peak_ahead = max(peak_ahead, pulled - len(keys))
        keys.append(result.target.key)
        assert result.verdict == "active"
    assert sorted(keys) == list(range(300))
    assert peak_ahead <= 10 + 4  # the window and the checks running, never the whole list


def test_paused_marketplace_not_fetched(server):
    server.expect_request("/p").respond_with_data("ok")
    listings = targets_for(server, 5, marketplace="cho") + targets_for(
        server, 3, marketplace="khac", start=5)
    results = run(listings, paused=lambda slug: slug == "cho")
    paused = [r for r in results if r.target.marketplace == "cho"]
    assert [(r.verdict, r.evidence) for r in paused] == [(None, {"paused": "degraded"})] * 5
    assert all(r.checked_at.tzinfo is None for r in paused)
    assert [r.verdict for r in results if r.target.marketplace == "khac"] == ["active"] * 3
    assert len(server.log) == 3


def test_breaker_tripping_mid_run_pauses_the_rest(server):
    server.expect_request("/p").respond_with_data("", 403)
    breaker = Breaker(minimum=3, share=0.5)
    results = []
    for result in check_many(targets_for(server, 30), settings(concurrency=1),
                             paused=breaker.paused, adapters=ADAPTERS.__getitem__):
        breaker.record(result.target.marketplace, result.verdict)
        results.append(result)
    verdicts = [r.verdict for r in results]
    assert verdicts.count("blocked") == len(server.log) < 6
    assert verdicts.count(None) == 30 - len(server.log)


def test_slow_marketplace_does_not_hold_up_the_others(server):
    def slow(request):
        time.sleep(1.0)
        return Response("ok")

    server.expect_request("/slow").respond_with_handler(slow)
    server.expect_request("/fast").respond_with_data("ok")
    config = settings(concurrency=4, polite=True, jitter=0.0, marketplaces={
        "lento": Politeness(concurrency=2, min_interval=0),
        "spaced": Politeness(concurrency=1, min_interval=0.5),
        "fast": Politeness(concurrency=4, min_interval=0)})
    # The slow ones come first: a FIFO pool would fill its threads with them.
    listings = (targets_for(server, 4, "/slow", "lento")
                + targets_for(server, 4, "/fast", "spaced", start=4)
                + targets_for(server, 40, "/fast", "fast", start=8))
    started = time.monotonic()
    finished = {}
    for result in check_many(listings, config, adapters=ADAPTERS.__getitem__):
        assert result.verdict == "active"
        finished.setdefault(result.target.marketplace, []).append(time.monotonic() - started)
    assert max(finished["fast"]) < 0.8  # while the 1 s pages and the 0.5 s intervals go on
    assert max(finished["lento"]) >= 2.0 and max(finished["spaced"]) >= 1.5


def test_global_concurrency_in_the_engine(server):
    recorder = Recorder()

    def handle(request):
        recorder.enter()
        time.sleep(0.1)
        recorder.leave()
        return Response("ok")

    server.expect_request("/p").respond_with_handler(handle)
    config = settings(concurrency=3, marketplaces={
        name: Politeness(concurrency=4, min_interval=0) for name in ("a", "b")})
    listings = targets_for(server, 6, marketplace="a") + targets_for(server, 6, marketplace="b")
    assert len(run(listings, config)) == 12
    assert recorder.most == 3


def test_marketplace_interval_respected_by_the_scheduler(server):
    recorder = Recorder()

    def handle(request):
        recorder.enter()
        recorder.leave()
        return Response("ok")

    server.expect_request("/p").respond_with_handler(handle)
    config = settings(polite=True, jitter=0.0,
                      marketplaces={"cho": Politeness(concurrency=3, min_interval=0.25)})
    assert len(run(targets_for(server, 5), config)) == 5
    # Measured where the requests arrive: a loaded machine may delay one request's arrival by
    # tens of milliseconds after the engine sent it on time, so allow 50 ms of that.
    assert min(recorder.gaps()) >= 0.2


def test_closing_early_shuts_down_cleanly(server):
    server.expect_request("/ok").respond_with_data("ok")
    server.expect_request("/busy").respond_with_data("", 503)
    pulled = 0

    def source():
        nonlocal pulled
        for number in range(10_000):
            pulled += 1
            yield target(server.url_for("/ok" if number == 3 else "/busy"), adapter="status",
                         key=number)

    # The other checks are waiting out a 30 s backoff when the consumer walks away.
    config = settings(concurrency=4, backoff=30, total_timeout=100,
                      marketplaces={"cho": Politeness(concurrency=4, min_interval=0)})
    results = check_many(source(), config, read_ahead=20, adapters=ADAPTERS.__getitem__)
    assert next(results).target.key == 3
    started = time.monotonic()
    results.close()
    assert time.monotonic() - started < 2
    assert pulled <= 20 + 4 + 1
    assert not [t for t in threading.enumerate() if t.name.startswith("check")]  # pool gone


def test_empty_input():
    assert run([]) == []


# The circuit breaker.


def test_breaker_needs_a_minimum_of_checks():
    breaker = Breaker(minimum=4, share=0.5)
    for verdict in ("blocked", "unreachable", "blocked"):
        breaker.record("shopee", verdict)
    assert not breaker.tripped("shopee")
    breaker.record("shopee", "active")
    assert breaker.tripped("shopee") and not breaker.tripped("tiki")


def test_breaker_share_is_strictly_more_than():
    breaker = Breaker(minimum=2, share=0.5)
    for verdict in ("blocked", "active", None, None):  # paused ones count for nothing
        breaker.record("tiki", verdict)
    assert not breaker.tripped("tiki")
    breaker.record("tiki", "unreachable")
    assert breaker.tripped("tiki") and breaker.paused("tiki")


def test_breaker_loaded_from_counts():
    breaker = Breaker()
    breaker.add_counts("lazada", 30, 15)
    assert not breaker.tripped("lazada")
    breaker.record("lazada", "removed")
    breaker.record("lazada", "blocked")
    breaker.record("lazada", "blocked")
    assert breaker.counts["lazada"].total == 33 and breaker.tripped("lazada")


def test_breaker_defaults():
    breaker = Breaker()
    assert (breaker.minimum, breaker.share) == (20, 0.5)
    for _ in range(19):
        breaker.record("sendo", "blocked")
    assert not breaker.tripped("sendo")
    breaker.record("sendo", "unknown")
    assert breaker.tripped("sendo")


def test_zero_limits_mean_one_at_a_time(server):
    server.expect_request("/p").respond_with_data("ok")
    config = settings(concurrency=0, marketplaces={"cho": Politeness(0, 0)})
    assert [r.verdict for r in run(targets_for(server, 3), config)] == ["active"] * 3
