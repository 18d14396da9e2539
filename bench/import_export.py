"""Time `ocop import` and `ocop export` of a province-sized workbook, on SQLite and PostgreSQL.

Each step runs the real console script in a child process, so the figures include start-up,
and the peak memory is that child's own (its ru_maxrss, read with os.wait4).

    .venv/bin/python -m bench.import_export --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from bench.dataset import generate, size_arguments, write_workbook

OUT = Path(__file__).parent / "out"
OCOP = Path(sys.executable).parent / "ocop"  # the console script of this virtualenv


def fresh_postgresql(url: str) -> str:
    """Create the bench database when missing and empty it; refuse any other database."""
    parsed = make_url(url)
    if "bench" not in (parsed.database or ""):
        raise SystemExit(f"refusing to wipe {parsed.database!r}: use a database named *bench*")
    admin = create_engine(parsed.set(drivername="postgresql+psycopg", database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                           {"n": parsed.database}):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(parsed.set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def fresh_sqlite() -> str:
    """An empty SQLite file under bench/out."""
    path = OUT / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def measure(uri: str, *args: str) -> tuple[float, float, float, int, str]:
    """Run `ocop ARGS` against `uri`: wall and CPU seconds, peak resident MB, exit status and
    output."""
    env = {**os.environ, "OCOP_DATABASE_URL": uri}
    started = time.perf_counter()
    child = subprocess.Popen([str(OCOP), *args], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    return (seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,  # Linux: KB
            os.waitstatus_to_exitcode(status), output.strip())


def run(uri: str, *args: str) -> tuple[float, float, str]:
    """Run `ocop ARGS` against `uri`, which must succeed: seconds, peak resident MB, output."""
    seconds, _cpu, megabytes, code, output = measure(uri, *args)
    if code != 0:
        raise SystemExit(f"ocop {' '.join(args)} failed ({code}):\n{output}")
    return seconds, megabytes, output


def bench(name: str, uri: str, workbook: Path) -> list[tuple]:
    """Import, re-import and export on one database; rows for the report."""
    run(uri, "init")
    rows = []
    for label, args in (("import (empty registry)", ("import", str(workbook))),
                        ("re-import (no change)", ("import", str(workbook))),
                        ("export .xlsx", ("export", str(OUT / f"export-{name}.xlsx"))),
                        ("export .csv", ("export", str(OUT / f"export-{name}.csv"))),
                        ("re-import of export", ("import", str(OUT / f"export-{name}.xlsx")))):
        seconds, megabytes, output = run(uri, *args)
        rows.append((name, label, seconds, megabytes))
        print(f"{name:<10} {label:<24} {seconds:7.2f} s {megabytes:7.0f} MB   {output[-160:]}",
              flush=True)
    return rows


def backend_arguments(parser: argparse.ArgumentParser) -> None:
    """Which databases a bench runs on, and how big its data set is."""
    parser.add_argument("--postgresql", default=os.environ.get("OCOP_BENCH_POSTGRESQL_URL"),
                        help="URL of a PostgreSQL database whose name contains 'bench' "
                             "(created when missing, emptied first)")
    parser.add_argument("--skip-sqlite", action="store_true")
    size_arguments(parser)


def main() -> None:
    """Generate the workbook once, then time each backend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    backend_arguments(parser)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    workbook = OUT / f"ocop-{args.products}-{args.producers}-{args.listings}.xlsx"
    if not workbook.exists():
        started = time.perf_counter()
        write_workbook(generate(args.products, args.producers, args.listings), workbook)
        print(f"generated {workbook} ({workbook.stat().st_size / 2**20:.1f} MB) in "
              f"{time.perf_counter() - started:.1f} s")
    if not OCOP.exists() and not shutil.which("ocop"):
        raise SystemExit("the ocop console script is missing: pip install -e .")
    rows = []
    if not args.skip_sqlite:
        rows += bench("sqlite", fresh_sqlite(), workbook)
    if args.postgresql:
        rows += bench("postgresql", fresh_postgresql(args.postgresql), workbook)
    print("\n| database | step | seconds | peak MB |\n|---|---|---:|---:|")
    for name, label, seconds, megabytes in rows:
        print(f"| {name} | {label} | {seconds:.1f} | {megabytes:.0f} |")


if __name__ == "__main__":
    main()
