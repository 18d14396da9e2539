"""Where the figures of a moment come from: today's statuses, the checks replayed to a past
moment, or a closed month's frozen cells. Each source answers the same few questions (the cube,
the products online, each marketplace's products, every listing's state, the runs behind them);
`assemble` makes the headline, breakdowns and trend from any of them, and `at` / `of_month`
are the one place that picks a source for a date or a month.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..localtime import day_end, local_date, month_end, month_of
from ..models import (
    BUYABLE,
    Attestation,
    Listing,
    ListingMonth,
    Marketplace,
    MonthClose,
    Producer,
    Product,
    ShareCell,
)
from . import months, online
from .figures import MACHINE, Cell, Filters, counted, tally

ANY = months.ANY
MONTH = re.compile(r"(\d{4})-(\d{2})")


class BadMonth(ValueError):
    """A month the figures cannot be given for; the message says why, in Vietnamese."""


def marketplace_id(filters: Filters) -> int | None:
    """The marketplace filter as an id (None without one)."""
    if not filters.marketplace:
        return None
    return db.session.scalar(select(Marketplace.id).where(Marketplace.slug == filters.marketplace))


@dataclass
class Live:
    """The figures at `as_of` from the live tables: today's statuses, or (`replay`) the checks
    as they stood then."""

    as_of: datetime
    replay: bool = False
    closing = None  # not a closed month

    @property
    def on(self) -> date:
        return local_date(self.as_of)

    @property
    def freshness_days(self) -> int:
        return int(current_app.config["FRESHNESS_DAYS"])

    def machine(self, filters: Filters, **how):
        """online.machine at `as_of` on the filtered marketplace (`how`: buyable, method)."""
        return online.machine(self.as_of, replay=self.replay,
                              marketplace_id=marketplace_id(filters), **how)

    def people(self, filters: Filters):
        """online.people at `as_of` on the filtered marketplace."""
        return online.people(self.as_of, marketplace_id(filters))

    @cached_property
    def attesting(self) -> bool:
        """Whether any attestation might count at `as_of` (from ix_attestations_counting):
        when none does, the figures need not look for the listings people hold online."""
        return db.session.scalar(select(Attestation.id).where(
            Attestation.confirmed_at <= self.as_of, Attestation.counts_until >= self.as_of)
            .limit(1)) is not None

    def cells(self, filters: Filters) -> list[Cell]:
        """The cube: one aggregate query that the headline and every product breakdown are
        summed from. Today a product's strongest method is the first of these listing sets
        it is in: the strong machine methods' (online.STRONG), any machine's (so the page's),
        a person's; each an uncorrelated IN subquery that SQLite and PostgreSQL evaluate
        once, from a covering index (ix_listings_method, ix_listings_online). A replay has
        no such index and costs far more than a set: it is done once and grouped per
        product."""
        person = ([(in_set(self.people(filters)), online.RANK["person"])]
                  if self.attesting else [])
        if self.replay:
            seen = self.machine(filters).subquery()
            products = (select(seen.c.product_id,
                               func.min(online.rank(seen.c.method)).label("rank"),
                               func.max(case((seen.c.status.in_(BUYABLE), 1), else_=0)
                                        ).label("buyable"))
                        .group_by(seen.c.product_id).subquery())
            rank = func.coalesce(products.c.rank, case(*person)) if person else products.c.rank
            return tally(filters, self.on, rank, products.c.buyable == 1, products)
        sets = [*((self.machine(filters, method=m), m) for m in online.STRONG),
                (self.machine(filters), "page")]
        rank = case(*((in_set(query), online.RANK[m]) for query, m in sets), *person)
        return tally(filters, self.on, rank, in_set(self.machine(filters, buyable=True)))

    def online_products(self, filters: Filters):
        """The condition for a product with an online listing."""
        if not self.attesting:
            return in_set(self.machine(filters))
        return or_(in_set(self.machine(filters)), in_set(self.people(filters)))

    def marketplaces(self, filters: Filters) -> list[tuple]:
        """(marketplace id, counted products online there, buyable there, online there by
        each method): per marketplace, the products a machine saw online there, each under the
        strongest method its listings there were seen by (buyable: told apart by their
        statuses in the same pass), and those only a person's attestation holds online there
        (few: probed one by one)."""
        products = select(Product.id).join(Producer).where(counted(filters, self.on))
        seen = self.machine(filters).where(Listing.product_id.in_(products)).subquery()
        pairs = (select(seen.c.marketplace_id, seen.c.product_id,
                        func.min(online.rank(seen.c.method)).label("rank"),
                        func.max(case((seen.c.status.in_(BUYABLE), 1), else_=0)).label("buy"))
                 .group_by(seen.c.marketplace_id, seen.c.product_id).subquery())
        machine = {row[0]: row[1:] for row in db.session.execute(
            select(pairs.c.marketplace_id, func.count(), func.sum(pairs.c.buy),
                   *(func.count(case((pairs.c.rank == online.RANK[m], 1)))
                     for m in MACHINE))
            .group_by(pairs.c.marketplace_id))}
        people = self.people(filters).subquery()
        alone = {} if not self.attesting else dict(db.session.execute(
            select(people.c.marketplace_id, func.count(func.distinct(people.c.product_id)))
            .where(people.c.product_id.in_(products),
                   ~self.machine(filters).where(
                       Listing.product_id == people.c.product_id,
                       Listing.marketplace_id == people.c.marketplace_id).exists())
            .group_by(people.c.marketplace_id)).all())
        rows = []
        for marketplace in machine.keys() | alone.keys():
            up, buy, *by = machine.get(marketplace, (0, 0, *(0 for _ in MACHINE)))
            person = alone.get(marketplace, 0)
            rows.append((marketplace, up + person, buy, (*by, person)))
        return rows

    def states(self):
        """Every listing's state at `as_of`, as a subquery with ListingMonth's columns."""
        if self.replay:
            return months.states_at(self.as_of).subquery()
        now = self.as_of
        seen = online.current(now)
        return (select(Listing.id.label("listing_id"), Listing.product_id,
                       Listing.marketplace_id, Listing.canonical_url.label("url"),
                       Listing.approved, Listing.status, Listing.last_verdict.label("verdict"),
                       Listing.last_checked_at.label("checked_at"), Listing.verified_at,
                       func.coalesce(online.now_online(now), False).label("online"),
                       func.coalesce(online.current(now, True), False).label("buyable"),
                       func.coalesce(Listing.stale_before(online.window_start(now)), False
                                     ).label("stale"),
                       case((seen, func.coalesce(Listing.method, "page")),
                            (online.attested_listing(now), "person")).label("method"))
                .subquery())

    def runs(self) -> list[dict]:
        """The runs whose checks fall in the freshness window before `as_of`."""
        return months.runs_between(online.window_start(self.as_of), self.as_of)


@dataclass
class Closed:
    """The figures frozen at a closed month's end."""

    closing: MonthClose

    @property
    def as_of(self) -> datetime:
        return self.closing.as_of

    @property
    def on(self) -> date:
        return local_date(self.closing.as_of)

    @property
    def freshness_days(self) -> int:
        return self.closing.freshness_days

    def cells(self, filters: Filters) -> list[Cell]:
        """The month's cube under the filters, summed from its ShareCells."""
        whole, up, buy, *methods, which = cell_sums(filters)
        keys = (ShareCell.category, ShareCell.stars, ShareCell.commune, ShareCell.producer_kind)
        rows = db.session.execute(
            select(*keys, whole, up, buy, *methods)
            .where(ShareCell.month == self.closing.month, which, *cell_filters(filters))
            .group_by(*keys))
        return [Cell(*row[:7], tuple(row[7:])) for row in rows]

    def online_products(self, filters: Filters):
        """The condition for a product with a listing online at the month's end."""
        mine = [ListingMonth.month == self.closing.month, ListingMonth.approved,
                ListingMonth.online]
        if filters.marketplace:
            mine.append(ListingMonth.marketplace_id == marketplace_id(filters))
        return Product.id.in_(select(ListingMonth.product_id).where(*mine))

    def marketplaces(self, filters: Filters) -> list[tuple]:
        """(marketplace id, products online there, buyable there, online there by each
        method) from the month's cells."""
        return [(row[0], row[1], row[2], tuple(row[3:])) for row in db.session.execute(
            select(ShareCell.marketplace_id, func.sum(ShareCell.online),
                   func.sum(ShareCell.buyable),
                   *(func.sum(column) for column in method_columns()))
            .where(ShareCell.month == self.closing.month, ShareCell.marketplace_id != ANY,
                   *cell_filters(filters))
            .group_by(ShareCell.marketplace_id))]

    def states(self):
        """The month's frozen listing states."""
        row = ListingMonth
        return (select(row.listing_id, row.product_id, row.marketplace_id, row.url,
                       row.approved, row.status, row.verdict, row.checked_at, row.verified_at,
                       row.online, row.buyable, row.stale, row.method)
                .where(row.month == self.closing.month).subquery())

    def runs(self) -> list[dict]:
        return self.closing.runs


Source = Live | Closed


def in_set(query):
    """The condition for a product among those of the listings `query` gives."""
    return Product.id.in_(select(query.subquery().c.product_id))


def cell_filters(filters: Filters) -> list:
    """The product filters as conditions on ShareCell."""
    return filters.on(ShareCell.commune, ShareCell.category, ShareCell.stars)


def method_columns() -> list:
    """ShareCell's online products per method, in models.METHODS order."""
    return [getattr(ShareCell, method) for method in online.RANK]


def cell_sums(filters: Filters):
    """Counted products (from the ANY cells) and those online, buyable and online by each
    method on the filtered marketplace, as sums over a month's cells, then the condition for
    the cells summed."""
    wanted = marketplace_id(filters) or ANY
    chosen = ShareCell.marketplace_id == wanted
    return (func.sum(case((ShareCell.marketplace_id == ANY, ShareCell.counted), else_=0)),
            *(func.sum(case((chosen, column), else_=0)) for column in
              (ShareCell.online, ShareCell.buyable, *method_columns())),
            ShareCell.marketplace_id.in_({ANY, wanted}))


def closed_months(filters: Filters, since: date, before: date) -> list[tuple]:
    """(month, as_of, counted, online, buyable) of every closed month from `since` to before
    `before`, summed from its cells (a closed month with nothing counted gives zeros)."""
    whole, up, buy, *_methods, which = cell_sums(filters)
    found = {row[0]: row[1:] for row in db.session.execute(
        select(ShareCell.month, whole, up, buy)
        .where(ShareCell.month >= since, ShareCell.month < before, which,
               *cell_filters(filters))
        .group_by(ShareCell.month))}
    return [(closing.month, closing.as_of, *(n or 0 for n in found.get(closing.month, (0, 0, 0))))
            for closing in db.session.scalars(
                select(MonthClose).where(MonthClose.month >= since, MonthClose.month < before)
                .order_by(MonthClose.month))]


def at(day: date, now: datetime) -> Source:
    """The source of the figures on `day`: today's statuses today, a closed month's cells on
    its last day, the checks replayed to the day's end otherwise."""
    if day >= local_date(now):
        return Live(now)
    closing = db.session.get(MonthClose, day.replace(day=1))
    if closing is not None and local_date(closing.as_of) == day:
        return Closed(closing)
    return Live(day_end(day), replay=True)


def parse_month(raw: str, now: datetime) -> date:
    """"YYYY-MM" as the month's first day; refuses other shapes and months to come."""
    match = MONTH.fullmatch((raw or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise BadMonth(_l("Tháng phải có dạng YYYY-MM, ví dụ 2026-11."))
    month = date(int(match[1]), int(match[2]), 1)
    if month > month_of(now):
        raise BadMonth(_l("Tháng %(month)s chưa đến.", month=month.strftime("%m/%Y")))
    return month


def of_month(month: date, now: datetime) -> Source:
    """The source of the figures at the end of `month`: today's statuses for the month in
    progress, its frozen cells once it is over (closed now if no run has closed it yet)."""
    if month >= month_of(now):
        return Live(now)
    closing = db.session.get(MonthClose, month)
    if closing is None and month_end(month) + months.GRACE > now:
        raise BadMonth(_l("Tháng %(month)s vừa kết thúc; số liệu được chốt sau ít phút.",
                          month=month.strftime("%m/%Y")))
    if closing is None and month in months.due(now):
        try:
            closing = months.close(month)
        except IntegrityError:  # another process closed it meanwhile
            db.session.rollback()
            closing = db.session.get(MonthClose, month)
    if closing is None:
        raise BadMonth(_l("Chưa có lượt kiểm tra nào trước cuối tháng %(month)s.",
                          month=month.strftime("%m/%Y")))
    return Closed(closing)

