"""Closed months: the figures as they stood at each month's end, frozen once the month is over.

The check history only grows, so a month's end never changes once it has passed. Closing a
month writes each listing's state at that moment (ListingMonth, replayed from the checks by
`online`'s rule) and the counted, online and buyable
products per group, stars, commune, producer kind and marketplace (ShareCell). The trend, what
changed since last month, the monthly report and the API's month-end figures read these
instead of replaying millions of checks, and a listing deleted later leaves its months alone.

Months are closed when a check run finishes: `close_after_run` listens to the checks'
`run_finished` signal (`checks/signals.py`), so the checks need not know the figures exist.
"""

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Date, case, func, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..localtime import local_date, month_end, month_of
from ..models import (
    Check,
    CheckRun,
    Listing,
    ListingMonth,
    MonthClose,
    Producer,
    Product,
    ShareCell,
    add_months,
    stale_rule,
    utcnow,
)
from . import figures, online
from .figures import Filters

ANY = 0  # ShareCell.marketplace_id of the cells that count a product online on any marketplace
# A run's last batch before midnight is committed within a second or so; a month is closed
# only this long after its end, so no check of its last moments is still in flight.
GRACE = timedelta(minutes=5)


def due(now: datetime) -> list[date]:
    """Months that ended (GRACE ago) since the first check run and are not closed yet, oldest
    first."""
    first = db.session.scalar(select(func.min(CheckRun.created_at)))
    if first is None:
        return []
    closed = set(db.session.scalars(select(MonthClose.month)))
    month, months = month_of(first), []
    while month_end(month) + GRACE <= now:
        if month not in closed:
            months.append(month)
        month = add_months(month, 1)
    return months


def close_due(now: datetime | None = None) -> list[date]:
    """Close every month that is due (each in its own transaction); one that another process
    closed meanwhile is skipped."""
    closed = []
    for month in due(now or utcnow()):
        try:
            close(month)
        except IntegrityError:
            db.session.rollback()
        else:
            closed.append(month)
    return closed


def close_after_run(_sender, **_run) -> None:
    """Freeze the months that ended before a run finished (the first run of a month closes the
    last one). A failure here leaves the run done: it is logged, and the next run or
    `ocop close-months` tries again."""
    try:
        close_due()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("closing the months that have ended failed")


def close(month: date) -> MonthClose:
    """Freeze the figures of the month starting on `month`, which must be over; commits."""
    as_of = month_end(month)
    if as_of + GRACE > utcnow():
        raise ValueError(f"{month:%Y-%m} has not ended")
    days = int(current_app.config["FRESHNESS_DAYS"])
    cutoff = as_of - timedelta(days=days)
    closing = MonthClose(month=month, as_of=as_of, freshness_days=days,
                         runs=runs_between(cutoff, as_of), closed_at=utcnow())
    db.session.add(closing)
    db.session.flush()  # a second process closing the same month fails here, not later
    states = states_at(as_of).add_columns(literal(month, Date).label("month"))
    db.session.execute(insert(ListingMonth).from_select(
        [c.name for c in states.selected_columns], states))
    db.session.execute(insert(ShareCell), cells_to_store(month, local_date(as_of)))
    db.session.commit()
    return closing


def runs_between(start: datetime, end: datetime) -> list[dict]:
    """The runs whose checks fall in (start, end], with how many checks each: what produced
    the figures as of `end`."""
    rows = db.session.execute(
        select(Check.run_id, func.count()).where(Check.at > start, Check.at <= end,
                                                 Check.run_id.is_not(None))
        .group_by(Check.run_id).order_by(Check.run_id))
    return [{"id": run_id, "checks": n} for run_id, n in rows]


def states_at(as_of: datetime):
    """Every listing that existed at `as_of`, as the checks up to then leave it: the last
    decisive status, the last verdict, when it was last checked and verified, whether it was
    online (a machine's check, or a person's attestation), buyable or stale
    (Listing.stale_before's rule, on those times), and how it was known to be online."""

    def last(column, *conditions):
        return (select(column).where(Check.listing_id == Listing.id, Check.at <= as_of,
                                     *conditions)
                .order_by(Check.at.desc(), Check.id.desc()).limit(1).scalar_subquery())

    seen = online.machine(as_of, replay=True).with_only_columns(Listing.id)
    buy = online.machine(as_of, replay=True, buyable=True).with_only_columns(Listing.id)
    decisive = online.decisive(Check)
    base = (select(Listing.id.label("listing_id"), Listing.product_id, Listing.marketplace_id,
                   Listing.canonical_url.label("url"), Listing.approved, Listing.created_at,
                   last(Check.status_after).label("status"),
                   last(Check.verdict).label("verdict"), last(Check.at).label("checked_at"),
                   last(Check.at, decisive).label("verified_at"),
                   Listing.id.in_(seen).label("seen"),
                   online.attested_listing(as_of).label("attested"),
                   Listing.id.in_(buy).label("buyable"),
                   last(Check.method, decisive).label("decided_by"))
            .where(Listing.created_at <= as_of).subquery())
    stale = stale_rule(base.c.checked_at, base.c.verified_at, base.c.created_at,
                       online.window_start(as_of))
    return select(base.c.listing_id, base.c.product_id, base.c.marketplace_id, base.c.url,
                  base.c.approved, base.c.status, base.c.verdict, base.c.checked_at,
                  base.c.verified_at, or_(base.c.seen, base.c.attested).label("online"),
                  base.c.buyable, func.coalesce(stale, False).label("stale"),
                  case((base.c.seen, base.c.decided_by), (base.c.attested, "person")
                       ).label("method"))


def cells_to_store(month: date, day: date) -> list[dict]:
    """The month's ShareCell rows: per product dimensions, products online on any marketplace
    (with the counted ones), then on each marketplace; each with its online products by the
    strongest method behind them."""
    mine = (ListingMonth.month == month, ListingMonth.approved)
    rank = case(*((Product.id.in_(select(ListingMonth.product_id).where(
        ListingMonth.online, *mine, online.rank(ListingMonth.method) == n)), n)
        for n in online.RANK.values()))
    buyable = select(ListingMonth.product_id).where(ListingMonth.buyable, *mine)
    rows = [{"month": month, "category": c.category, "stars": c.stars, "commune": c.commune,
             "producer_kind": c.producer_kind, "marketplace_id": ANY, "counted": c.counted,
             "online": c.online, "buyable": c.buyable,
             **dict(zip(online.RANK, c.methods, strict=True))}
            for c in figures.tally(Filters(), day, rank, Product.id.in_(buyable))]
    pairs = (select(ListingMonth.product_id, ListingMonth.marketplace_id,
                    func.min(online.rank(ListingMonth.method)).label("rank"),
                    func.max(case((ListingMonth.buyable, 1), else_=0)).label("buyable"))
             .where(ListingMonth.online, *mine)
             .group_by(ListingMonth.product_id, ListingMonth.marketplace_id).subquery())
    ranks = [func.count(case((pairs.c.rank == n, 1))) for n in range(len(online.RANK))]
    per_marketplace = db.session.execute(
        select(*figures.KEYS, pairs.c.marketplace_id, func.count(), func.sum(pairs.c.buyable),
               *ranks)
        .select_from(Product).join(Producer).join(pairs, pairs.c.product_id == Product.id)
        .where(figures.counted(Filters(), day))
        .group_by(*figures.KEYS, pairs.c.marketplace_id))
    rows += [{"month": month, "category": row[0], "stars": row[1], "commune": row[2],
              "producer_kind": row[3], "marketplace_id": row[4], "counted": 0,
              "online": row[5], "buyable": row[6], **dict(zip(online.RANK, row[7:], strict=True))}
             for row in per_marketplace]
    return rows
