"""What the request benches share: which databases to run on, and timing GETs through the
Flask test client (server-side: routing, queries, templates; no network)."""

import argparse
import statistics
import time
from collections.abc import Callable

from bench.import_export import OUT, backend_arguments, fresh_postgresql, fresh_sqlite

WARM_UP = 5  # requests first sent and not timed: caches and the connection pool fill up


def databases(args) -> list[tuple[str, Callable[[], str]]]:
    """(name, a function giving a fresh database URL) for each backend the arguments ask for."""
    chosen = [] if args.skip_sqlite else [("sqlite", fresh_sqlite)]
    if args.postgresql:
        chosen.append(("postgresql", lambda: fresh_postgresql(args.postgresql)))
    return chosen


def timed(client, url: str, headers: dict, marker: str = "") -> float:
    """One GET's time in ms; it must answer 200 (with `marker` in the body when given)."""
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and marker in response.text, (url, response.text[:200])
    return elapsed


def median_p95(client, urls: list[str], headers: dict, marker: str = "") -> tuple[float, float]:
    """Median and 95th percentile in ms of GETting `urls`, after a few untimed ones."""
    for url in urls[:WARM_UP]:
        timed(client, url, headers, marker)
    times = sorted(timed(client, url, headers, marker) for url in urls)
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def run(doc: str, columns: tuple[str, ...], prepare, measure, requests: int) -> None:
    """A request bench's command line: the shared size and database options and --requests;
    per database, a fresh copy made ready by `prepare(uri, sizes)`, then one markdown table
    row per tuple `measure(uri, count, prepared)` yields (numbers in ms, one decimal)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    backend_arguments(parser)
    parser.add_argument("--requests", type=int, default=requests)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    sizes = (args.products, args.producers, args.listings)
    print("| database | " + " | ".join(columns) + " |\n|---|"
          + "|".join("---:" if c.endswith(("ms", "requests")) else "---" for c in columns) + "|")
    for name, fresh in databases(args):
        uri = fresh()
        prepared = prepare(uri, sizes)
        for row in measure(uri, args.requests, prepared):
            cells = [f"{cell:.1f}" if isinstance(cell, float) else str(cell) for cell in row]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
