"""Turning the engine's results into history and current statuses, a batch per transaction.

A batch's checks, its listings' new statuses and the run's heartbeat are committed together,
so a run killed at any moment leaves whole batches or nothing, and a resumed run skips exactly
the listings that have a check.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update

from scrapers.model import Result

from ..extensions import db
from ..models import ONLINE, Check, CheckRun, Listing, utcnow
from . import screenshots

# The evidence's route, as the method a check's verdict was reached by (models.METHODS).
METHOD_OF_ROUTE = {"browser": "browser", "seller_api": "seller_api"}


def method_of(evidence: dict) -> str:
    """How a result was reached: the seller's API, the browser, or (otherwise) the page."""
    return METHOD_OF_ROUTE.get(evidence.get("route"), "page")


@dataclass(frozen=True)
class State:
    """What applying a verdict needs to know, and changes, about a listing."""

    status: str | None
    verified_at: datetime | None
    last_online_at: datetime | None
    removal_seen_at: datetime | None


def apply(state: State, verdict: str, at: datetime, *, confirming: bool, degraded: bool,
          confirm_after: timedelta, authoritative: bool = False) -> State:
    """The listing's state after one verdict (DOMAIN.md's rules for truthful statuses).

    Only a not-found observation made while confirming, at least `confirm_after` after the
    first one, marks a listing removed, unless it is `authoritative` (the marketplace's own API
    asked with the seller's authorization said so); blocked, unreachable and unknown change
    nothing.
    """
    if verdict in ONLINE:
        return State(verdict, at, at, None)  # any success cancels a pending removal
    if verdict == "unlisted":  # only a seller's own marketplace account can say so
        return State(verdict, at, state.last_online_at, None)
    if verdict == "removed" and authoritative:  # no second look: the marketplace said so
        return State("removed", at, state.last_online_at, None)
    if verdict != "removed" or degraded:
        return state
    seen = state.removal_seen_at or at
    if confirming and at - seen >= confirm_after:
        return State("removed", at, state.last_online_at, None)
    return State(state.status, state.verified_at, state.last_online_at, seen)


_listing = Listing.__table__
_UPDATE = (
    update(_listing)
    .where(_listing.c.id == bindparam("key"))
    .values(status=bindparam("status"), verified_at=bindparam("verified_at"),
            last_online_at=bindparam("last_online_at"),
            removal_seen_at=bindparam("removal_seen_at"), last_verdict=bindparam("verdict"),
            last_checked_at=bindparam("at"), evidence=bindparam("evidence"),
            method=bindparam("method"),
            # An officer's edit made from a copy read before this check is refused as stale.
            version=_listing.c.version + 1, updated_at=bindparam("at"))
)


def record(run_id: int, results: list[Result], *, phase: int, degraded: set[str],
           confirm_after: timedelta) -> Counter:
    """Store a batch of results of run `run_id` and update its listings; commit; count verdicts
    (None counts the listings skipped because their marketplace was paused)."""
    keys = [r.target.key for r in results if r.verdict]
    rows = db.session.execute(select(Listing.id, Listing.status, Listing.verified_at,
                                     Listing.last_online_at, Listing.removal_seen_at,
                                     Listing.method).where(Listing.id.in_(keys))).all()
    states = {row.id: State(*row[1:5]) for row in rows}
    methods = {row.id: row.method for row in rows}
    counts: Counter = Counter()
    checks, listings, shots = [], [], {}
    for result in results:
        counts[result.verdict] += 1
        state = states.get(result.target.key)
        if result.verdict is None or state is None:  # paused, or deleted meanwhile
            continue
        at = result.checked_at
        method = method_of(result.evidence)
        after = apply(state, result.verdict, at, confirming=phase == 2,
                      degraded=result.target.marketplace in degraded,
                      confirm_after=confirm_after, authoritative=method == "seller_api")
        checks.append({"listing_id": result.target.key, "run_id": run_id, "phase": phase,
                       "at": at, "verdict": result.verdict,
                       "rule": (result.evidence.get("rule") or "")[:60] or None,
                       "status_after": after.status, "evidence": result.evidence,
                       "method": method})
        listings.append({"key": result.target.key, "verdict": result.verdict, "at": at,
                         "evidence": result.evidence, **after.__dict__,
                         # the status is known the way the check that last decided it was
                         "method": method if after.verified_at == at
                         else methods[result.target.key]})
        if result.screenshot:
            shots[result.target.key] = (result.screenshot, at, after.status != state.status)
    if checks:
        connection = db.session.connection()  # plain executemany: no ORM bookkeeping per row
        connection.execute(insert(Check.__table__), checks)
        connection.execute(_UPDATE, listings)
        screenshots.store(connection, run_id, phase, shots)
    values = {"heartbeat_at": utcnow()}
    if counts[None]:
        values["paused"] = CheckRun.paused + counts[None]
    db.session.execute(update(CheckRun).where(CheckRun.id == run_id).values(**values))
    db.session.commit()
    return counts
