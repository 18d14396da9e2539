"""A run's pass spread over processes of this machine, for `ocop check`.

Python runs one thread at a time per process (the GIL), and checking a listing is mostly
Python (HTTP parsing, judging the page, recording), so one process keeps one core busy however
many the machine has. `spread` forks a process per extra part; each takes its share of the
listings and carries it out with `runner.check_pass`, as an `ocop worker` carries out an RQ
chunk: its own engine, database session and circuit breaker (shared through the run row), and
its part of each marketplace's politeness limits (`settings.engine_settings(parts=…)`).

Shares: a listing goes to part `id % parts`, except that a marketplace allowing fewer requests
at once than there are parts is not split (all its listings go to part `marketplace id %
parts`, under its whole limits), so no marketplace sees more requests in flight than it
allows; and every listing read through a browser goes to part 0, so the machine runs one
Chromium, whose memory is capped as one (`scrapers.browser`).

The children are forked after this process closed its database session (so they start with
no connection of its), throw away the inherited connection pool, and die with their parent
(a killed `ocop check` leaves neither them nor their Chromium running).
"""

import contextlib
import ctypes
import multiprocessing
import os
import signal
from collections.abc import Callable

from sqlalchemy import case, literal, true

from ..extensions import db
from ..models import Listing, Marketplace

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def available() -> int:
    """The cores this process may run on."""
    with contextlib.suppress(AttributeError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def splits(allowed: int, fetch: str, parts: int) -> bool:
    """Whether a marketplace allowing `allowed` requests at once and read by `fetch` has its
    listings split over the parts (else one part checks them all)."""
    return fetch == "http" and allowed >= parts


def share(part: int, parts: int, fetch: str | None = None):
    """The SQL condition for the listings of part `part` out of `parts` (`fetch`: the run's
    own fetch method, which overrides the marketplaces')."""
    if parts == 1:
        return true()
    route = literal(fetch) if fetch else Marketplace.fetch
    owner = case((route != "http", 0),
                 (Marketplace.concurrency < parts, Marketplace.id % parts),
                 else_=Listing.id % parts)
    return owner == part


def spread(work: Callable[[int], None], parts: int) -> None:
    """Call `work(part)` for every part: part 0 here, the others in forked children; raise
    ChildProcessError if a child failed (after all of them have ended)."""
    if parts <= 1:
        work(0)
        return
    db.session.close()  # no connection of this process checked out while it forks
    context = multiprocessing.get_context("fork")
    parent = os.getpid()
    children = [context.Process(target=_child, args=(work, part, parent),
                                name=f"ocop-check-{part}", daemon=True)
                for part in range(1, parts)]
    for child in children:
        child.start()
    try:
        work(0)
    except BaseException:
        for child in children:  # the run stops here: so do its other parts
            child.terminate()
        raise
    finally:
        for child in children:
            child.join()
    failed = [child.name for child in children if child.exitcode != 0]
    if failed:
        raise ChildProcessError(f"{', '.join(failed)} stopped before the end of its share")


def _child(work: Callable[[int], None], part: int, parent: int) -> None:
    """A forked part: its own connections, dying with its parent, quiet on Ctrl-C."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    try:
        work(part)
    except KeyboardInterrupt:
        os._exit(1)
    finally:
        db.session.remove()
