"""The browser route over N listings of an imitation JavaScript shop on 127.0.0.1.

The shop (tests/scrapers/jsmarket.py, in a child process so its CPU is not ours) serves
Shopee-shaped app shells: the product appears only after the page's script computed a token
and called the item API, which answers after `--latency` ms; each page moves about `--kb` KB
(a padded document and a vendor script; images are not loaded by the route). This process runs
`engine.check_many` with every target on `fetch="browser"`, the default browser concurrency
(`Settings.browser_pages`) unless `--pages` says otherwise, politeness off, and checks every
verdict against what its item was built for.

Each size runs in a child process, and this process makes itself the "child subreaper", so every
process of the run (the child, Playwright's driver, every Chromium process, also the zygote a
browser restart orphans) is finally reaped here: reported per size are listings/s; CPU seconds of
all of them together from os.times() (exact) in total and per listing, and the child Python's
own share; peak memory of the child plus its
Chromium tree, sampled every 0.2 s from /proc as the sum of PSS (shared pages divided among the
processes sharing them) and, for comparison, the sum of RSS (which counts shared pages once per
process, so overstates).

    .venv/bin/python -m bench.browser_route --sizes 200,1000

Writes bench/out/browser_route.json and prints a markdown table.
"""

import argparse
import ctypes
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from scrapers import engine
from scrapers.browser import descendants, memory, rss
from scrapers.model import Politeness, Settings, Target

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).parent / "out"
EXPECTED = {"456": "active", "457": "out_of_stock", "458": "removed"}


def serve(port: int, latency: float, kb: int) -> None:
    """The child: the imitation shop until stdin closes."""
    sys.path.insert(0, str(ROOT))
    from tests.scrapers.jsmarket import JsMarket

    shop = JsMarket(api_delay=latency, padding=60_000, vendor=max(kb * 1024 - 62_000, 0),
                    port=port)
    shop.seen = _Nothing()  # no log: memory flat however long it runs
    print(shop.port, flush=True)
    sys.stdin.read()
    shop.close()


class _Nothing(list):
    def append(self, item) -> None:
        pass


class Sampler(threading.Thread):
    """Peak PSS and RSS of a process and its descendants, every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_pss = self.peak_rss = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            pids = [self.pid, *descendants(self.pid)]
            self.peak_pss = max(self.peak_pss, memory(pids))
            self.peak_rss = max(self.peak_rss, rss(pids))


def check(size: int, host: str, pages: int) -> None:
    """The child: the run itself; prints its figures as JSON."""
    settings = Settings(allowed_networks=("127.0.0.1/32",), robots=False, polite=False,
                        retries=0, browser_pages=pages, total_timeout=60.0,
                        marketplaces={"shopee": Politeness(concurrency=2 * pages,
                                                           min_interval=0.0)})
    items = list(EXPECTED)
    targets = (Target(key=n, url=f"http://{host}/tra-{n}-i.123.{items[n % 3]}",
                      adapter="shopee", marketplace="shopee", hosts=frozenset({host}),
                      fetch="browser") for n in range(size))
    started = time.monotonic()
    wrong, rules, examples = 0, {}, []
    stages: dict[str, float] = {}
    for result in engine.check_many(targets, settings):
        item = result.target.url.rsplit(".", 1)[1]
        rule = result.evidence.get("rule")
        for stage, seconds in (result.evidence.get("browser") or {}).get("seconds", {}).items():
            stages[stage] = stages.get(stage, 0.0) + seconds
        rules[rule] = rules.get(rule, 0) + 1
        if result.verdict != EXPECTED[item]:
            wrong += 1
            if len(examples) < 5:
                examples.append({k: result.evidence.get(k) for k in (
                    "url", "rule", "detail", "elapsed", "browser")})
    own = os.times()
    print(json.dumps({
        "wall_s": time.monotonic() - started, "python_cpu_s": own.user + own.system,
        "mean_seconds_per_page": {k: round(v / size, 3) for k, v in stages.items()},
        "wrong_verdicts": wrong, "rules": rules, "wrong_examples": examples}))


def run(size: int, host: str, pages: int) -> dict:
    """One size in a child process; CPU from os.times() once every descendant is reaped."""
    before = os.times()
    child = subprocess.Popen([sys.executable, "-m", "bench.browser_route", "--child",
                              "--sizes", str(size), "--pages", str(pages), "--host", host],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    sampler = Sampler(child.pid)
    sampler.start()
    out = child.stdout.read()
    child.wait()
    sampler.stop.set()
    sampler.join()
    _reap()
    after = os.times()
    figures = json.loads(out.strip().splitlines()[-1])
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    wall = figures.pop("wall_s")
    return {"listings": size, "browser_pages": pages, "wall_s": round(wall, 1),
            "listings_per_s": round(size / wall, 2), "cpu_s": round(cpu, 1),
            "cpu_ms_per_listing": round(cpu / size * 1000),
            "python_cpu_ms_per_listing": round(figures.pop("python_cpu_s") / size * 1000),
            "cpu_share_of_cores": round(cpu / wall / (os.cpu_count() or 1), 2),
            "peak_pss_mb": round(sampler.peak_pss / 2**20),
            "peak_rss_sum_mb": round(sampler.peak_rss / 2**20), **figures}


def _subreaper() -> None:
    """Become the reaper of our orphans (a restarted Chromium's zygote outlives its parent):
    their CPU then reaches os.times() here instead of init's."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap() -> None:
    """Wait for every orphan handed to us that has ended (the shop runs on)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if len(descendants()) <= 1:  # only the shop left
                return
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200")
    parser.add_argument("--pages", type=int, default=Settings.browser_pages)
    parser.add_argument("--latency", type=float, default=100.0, help="API latency, ms")
    parser.add_argument("--kb", type=int, default=500, help="KB transferred per page")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--json-out", default=str(OUT / "browser_route.json"))
    args = parser.parse_args()
    if args.serve:
        serve(args.port, args.latency / 1000, args.kb)
        return
    if args.child:
        check(int(args.sizes), args.host, args.pages)
        return
    _subreaper()
    shop = subprocess.Popen([sys.executable, "-m", "bench.browser_route", "--serve",
                             "--latency", str(args.latency), "--kb", str(args.kb)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        host = f"127.0.0.1:{shop.stdout.readline().strip()}"
        rows = [run(int(size), host, args.pages) for size in args.sizes.split(",")]
    finally:
        shop.stdin.close()
        shop.wait(timeout=30)
    OUT.mkdir(exist_ok=True)
    Path(args.json_out).write_text(json.dumps(rows, indent=2))
    print("| listings | pages at once | wall s | listings/s | CPU s | CPU ms/listing (Python) "
          "| CPU share of cores | peak PSS MB | peak RSS sum MB | wrong |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['listings']} | {r['browser_pages']} | {r['wall_s']} | "
              f"{r['listings_per_s']} | {r['cpu_s']} | {r['cpu_ms_per_listing']} "
              f"({r['python_cpu_ms_per_listing']}) | {r['cpu_share_of_cores']} | "
              f"{r['peak_pss_mb']} | {r['peak_rss_sum_mb']} | {r['wrong_verdicts']} |")
    for r in rows:
        print(r["listings"], r["rules"], r["mean_seconds_per_page"])


if __name__ == "__main__":
    main()
