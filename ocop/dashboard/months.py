"""Closed months: the figures as they stood at each month's end, frozen once the month is over.

The check history only grows, so a month's end never changes once it has passed. Closing a
month writes each listing's state at that moment (ListingMonth, replayed from the checks by
the same rules as `figures.online_listings(history=True)`) and the counted, online and buyable
products per group, stars, commune, producer kind and marketplace (ShareCell). The trend, what
changed since last month, the monthly report and the API's month-end figures read these
instead of replaying millions of checks, and a listing deleted later leaves its months alone.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Date, and_, case, func, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError

from ..checks.record import ONLINE
from ..extensions import db
from ..localtime import local_date, month_end, month_of
from ..models import (
    Check,
    CheckRun,
    Listing,
    ListingMonth,
    Marketplace,
    MonthClose,
    Producer,
    Product,
    ShareCell,
    add_months,
    stale_rule,
    utcnow,
)
from . import figures
from .figures import Cell, Figure, Filters, Headline

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
    states = states_at(month, as_of, cutoff)
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


def states_at(month: date, as_of: datetime, cutoff: datetime):
    """Every listing that existed at `as_of`, as the checks up to then leave it: the last
    decisive status, the last verdict, when it was last checked and verified, whether it was
    online, buyable or stale (Listing.stale_before's rule, on those times)."""

    def last(column, *conditions):
        return (select(column).where(Check.listing_id == Listing.id, Check.at <= as_of,
                                     *conditions)
                .order_by(Check.at.desc(), Check.id.desc()).limit(1).scalar_subquery())

    decisive = or_(Check.verdict.in_(ONLINE),
                   and_(Check.phase == 2, Check.status_after == "removed"))
    online = figures.online_listings(Filters(), as_of, history=True, columns=(Listing.id,))
    buyable = figures.online_listings(Filters(), as_of, True, True, columns=(Listing.id,))
    base = (select(Listing.id.label("listing_id"), Listing.product_id, Listing.marketplace_id,
                   Listing.canonical_url.label("url"), Listing.approved, Listing.created_at,
                   last(Check.status_after).label("status"),
                   last(Check.verdict).label("verdict"), last(Check.at).label("checked_at"),
                   last(Check.at, decisive).label("verified_at"),
                   Listing.id.in_(online).label("online"),
                   Listing.id.in_(buyable).label("buyable"))
            .where(Listing.created_at <= as_of).subquery())
    stale = stale_rule(base.c.checked_at, base.c.verified_at, base.c.created_at, cutoff)
    return select(literal(month, Date).label("month"), base.c.listing_id, base.c.product_id,
                  base.c.marketplace_id, base.c.url, base.c.approved, base.c.status,
                  base.c.verdict, base.c.checked_at, base.c.verified_at, base.c.online,
                  base.c.buyable, func.coalesce(stale, False).label("stale"))


def cells_to_store(month: date, day: date) -> list[dict]:
    """The month's ShareCell rows: per product dimensions, products online on any marketplace
    (with the counted ones), then on each marketplace."""
    mine = (ListingMonth.month == month, ListingMonth.approved)
    online = select(ListingMonth.product_id).where(ListingMonth.online, *mine)
    buyable = select(ListingMonth.product_id).where(ListingMonth.buyable, *mine)
    rows = [{"month": month, "category": c.group, "stars": c.stars, "commune": c.commune,
             "producer_kind": c.producer_kind, "marketplace_id": ANY, "counted": c.counted,
             "online": c.online, "buyable": c.buyable}
            for c in figures.tally(Filters(), day, case((Product.id.in_(online), 1), else_=0),
                                   case((Product.id.in_(buyable), 1), else_=0))]
    per_marketplace = db.session.execute(
        select(*figures.KEYS, ListingMonth.marketplace_id,
               func.count(func.distinct(Product.id)),
               func.count(func.distinct(case((ListingMonth.buyable, Product.id)))))
        .select_from(Product).join(Producer)
        .join(ListingMonth, and_(ListingMonth.product_id == Product.id, ListingMonth.online,
                                 *mine))
        .where(figures.counted(Filters(), day))
        .group_by(*figures.KEYS, ListingMonth.marketplace_id))
    rows += [{"month": month, "category": group, "stars": stars, "commune": commune,
              "producer_kind": kind, "marketplace_id": marketplace_id, "counted": 0,
              "online": up, "buyable": buy}
             for group, stars, commune, kind, marketplace_id, up, buy in per_marketplace]
    return rows


def closing_of(day: date) -> MonthClose | None:
    """The closed month whose last day is `day`, if there is one."""
    closing = db.session.get(MonthClose, day.replace(day=1))
    return closing if closing and local_date(closing.as_of) == day else None


def marketplace_id(filters: Filters) -> int:
    """The marketplace filter as an id (ANY without one)."""
    if not filters.marketplace:
        return ANY
    return db.session.scalar(select(Marketplace.id).where(Marketplace.slug == filters.marketplace))


def cell_filters(filters: Filters) -> list:
    """The product filters as conditions on ShareCell."""
    return filters.on(ShareCell.commune, ShareCell.category, ShareCell.stars)


def sums(filters: Filters):
    """Counted products (from the ANY cells) and those online and buyable on the filtered
    marketplace, as sums over a month's cells."""
    wanted = marketplace_id(filters)
    chosen = ShareCell.marketplace_id == wanted
    return (func.sum(case((ShareCell.marketplace_id == ANY, ShareCell.counted), else_=0)),
            func.sum(case((chosen, ShareCell.online), else_=0)),
            func.sum(case((chosen, ShareCell.buyable), else_=0)),
            ShareCell.marketplace_id.in_({ANY, wanted}))


def cube(closing: MonthClose, filters: Filters) -> list[Cell]:
    """The month's cube under the filters, in the shape `figures.cube` gives for today."""
    counted, online, buyable, which = sums(filters)
    keys = (ShareCell.category, ShareCell.stars, ShareCell.commune, ShareCell.producer_kind)
    rows = db.session.execute(
        select(*keys, counted, online, buyable)
        .where(ShareCell.month == closing.month, which, *cell_filters(filters))
        .group_by(*keys))
    return [Cell(*row) for row in rows]


def by_marketplace(closing: MonthClose, filters: Filters, whole: int) -> list[figures.Row]:
    """The month's marketplace breakdown: products online on each over the counted ones."""
    rows = db.session.execute(
        select(ShareCell.marketplace_id, func.sum(ShareCell.online), func.sum(ShareCell.buyable))
        .where(ShareCell.month == closing.month, ShareCell.marketplace_id != ANY,
               *cell_filters(filters))
        .group_by(ShareCell.marketplace_id)).all()
    return figures.marketplace_rows({m: up for m, up, _ in rows}, {m: b for m, _, b in rows},
                                    whole, filters)


def breakdown(dimension: str, closing: MonthClose, filters: Filters,
              cells: list[Cell]) -> list[figures.Row]:
    """One breakdown of the month, as `figures.breakdown` gives it for today."""
    if dimension == "marketplace":
        return by_marketplace(closing, filters, sum(c.counted for c in cells))
    return figures.breakdown(dimension, filters, closing.as_of, cells)


def headline(closing: MonthClose, filters: Filters, cells: list[Cell]) -> Headline:
    """The headline figures at the month's end, as `figures.headline` gives them for today."""
    day = local_date(closing.as_of)
    mine = [ListingMonth.month == closing.month, ListingMonth.approved]
    if filters.marketplace:
        mine.append(ListingMonth.marketplace_id == marketplace_id(filters))
    products = select(Product.id).join(Producer).where(figures.counted(filters, day))
    online = Product.id.in_(select(ListingMonth.product_id).where(ListingMonth.online, *mine))
    listings = (select(func.count(), func.count(case((ListingMonth.stale, 1))),
                       func.count(func.distinct(ListingMonth.product_id)),
                       func.count(case((ListingMonth.checked_at.is_(None), 1))))
                .where(*mine, ListingMonth.product_id.in_(products)))
    return figures.assemble(filters, day, cells, online, listings)


@dataclass
class Point:
    """One month of the trend: the share online and buyable at its end (or today)."""

    month: date
    on: date
    online: Figure
    buyable: Figure
    live: bool = False  # the month in progress, from today's statuses


def trend(filters: Filters, today: Headline, months: int = 24) -> list[Point]:
    """The share online at the end of each of the last `months` closed months, from their
    frozen cells, then today's figures for the month in progress."""
    current = today.on.replace(day=1)
    counted, online, buyable, which = sums(filters)
    rows = db.session.execute(
        select(ShareCell.month, counted, online, buyable)
        .where(ShareCell.month >= add_months(current, -months), ShareCell.month < current,
               which, *cell_filters(filters))
        .group_by(ShareCell.month).order_by(ShareCell.month)).all()
    closed = set(db.session.scalars(select(MonthClose.month).where(
        MonthClose.month >= add_months(current, -months), MonthClose.month < current)))
    found = {row[0]: row for row in rows}
    points = []
    for month in sorted(closed):  # a closed month with nothing counted still shows, as 0/0
        _m, whole, up, buy = found.get(month, (month, 0, 0, 0))
        points.append(Point(month, local_date(month_end(month)), Figure(up or 0, whole or 0),
                            Figure(buy or 0, whole or 0)))
    points.append(Point(current, today.on, today.online, today.buyable, live=True))
    return points
