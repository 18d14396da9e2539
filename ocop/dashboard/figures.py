"""The share of OCOP products online today, whole and broken down, as SQL aggregates.

Definitions (shown on the page too): a listing is **online** when its last decisive status is
active or out of stock and it was verified within the freshness window; **buyable** when that
status is active. A product **counts** when its certificate is valid today (certified, not
expired, not withdrawn). Share online = counted products with an online listing ÷ counted
products. Every figure is a numerator and a denominator; percentages are computed from them.
"""

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..localtime import local_date
from ..models import (
    CATEGORIES,
    PRODUCER_KINDS,
    Check,
    Listing,
    Marketplace,
    Producer,
    Product,
    utcnow,
)

DIMENSIONS = {
    "group": _l("Nhóm sản phẩm"),
    "stars": _l("Hạng sao"),
    "commune": _l("Xã/Phường"),
    "producer_kind": _l("Loại chủ thể"),
    "marketplace": _l("Sàn"),
}


class BadFilter(ValueError):
    """A filter value the figures cannot honour; the message names the filter in the user's
    language."""


@dataclass
class Filters:
    """Which products and listings the figures cover; every value is checked, none ignored."""

    commune: str = ""
    group: int | None = None
    stars: int | None = None
    marketplace: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        """Read the filters from query arguments; raise BadFilter on a value that is not one."""
        filters = cls(commune=args.get("commune", "").strip()[:100],
                      marketplace=args.get("marketplace", "").strip()[:40])
        for name, allowed in (("group", CATEGORIES), ("stars", (3, 4, 5))):
            raw = args.get(name, "").strip()
            if raw:
                if not raw.isdigit() or int(raw) not in allowed:
                    raise BadFilter(_l("Giá trị “%(value)s” không dùng được cho bộ lọc "
                                       "%(name)s.", value=raw, name=DIMENSIONS[name]))
                setattr(filters, name, int(raw))
        if filters.marketplace and not db.session.scalar(
                select(Marketplace.id).where(Marketplace.slug == filters.marketplace)):
            raise BadFilter(_l("Không có sàn “%(slug)s”.", slug=filters.marketplace))
        if filters.commune and not db.session.scalar(
                select(Producer.id).where(Producer.commune == filters.commune).limit(1)):
            raise BadFilter(_l("Không có chủ thể nào ở xã/phường “%(name)s”.",
                               name=filters.commune))
        return filters

    def args(self, **changes) -> dict:
        """Query arguments for these filters with `changes`, leaving out the empty ones."""
        return {k: v for k, v in {**asdict(self), **changes}.items() if v not in ("", None)}

    def on(self, commune, group, stars) -> list:
        """The commune, group and star filters as conditions on these columns."""
        return [column == value for column, value in
                ((commune, self.commune), (group, self.group), (stars, self.stars)) if value]

    def product_args(self) -> dict:
        """The same filters in the product list's words, for links into it."""
        return {k: v for k, v in (("commune", self.commune), ("category", self.group),
                                  ("stars", self.stars), ("marketplace", self.marketplace))
                if v not in ("", None)}


@dataclass
class Figure:
    """A numerator over a denominator; the percentage is always computed from the two."""

    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.part / self.whole, 1) if self.whole else None


@dataclass
class Row:
    """One line of a breakdown."""

    key: str
    label: str
    counted: int
    online: Figure
    buyable: Figure
    args: dict = field(default_factory=dict)  # the product list's filters for this line


@dataclass
class Headline:
    """The figures the province reports, with what they are made of."""

    on: date
    counted: int
    by_stars: dict[int, int]
    online: Figure
    buyable: Figure
    without_listing: int
    listings: int
    stale: int
    unchecked: int  # listings never checked: neither fresh nor stale, just unknown
    producers: Figure


def short_of(share: float, online: Figure) -> int:
    """How many more counted products need an online listing to reach `share` percent."""
    return max(0, math.ceil(share * online.whole / 100 - 1e-9) - online.part)


def window_start(now: datetime) -> datetime:
    """The oldest verification that still counts."""
    return now - timedelta(days=int(current_app.config["FRESHNESS_DAYS"]))


def online_now(now: datetime, buyable: bool = False):
    """The condition for a listing online (buyable) by its current status."""
    statuses = ("active",) if buyable else ("active", "out_of_stock")
    return and_(Listing.approved, Listing.status.in_(statuses),
                Listing.verified_at >= window_start(now))


def online_listings(filters: Filters, now: datetime, buyable: bool = False,
                    history: bool = False, columns=(Listing.product_id,)):
    """`columns` of the listings online (or buyable) at `now`, within the marketplace filter:
    from their current status, or with `history` from the checks as they stood at `now`.

    As of a moment, a listing is online when one of its checks in the freshness window saw it
    active or out of stock and no confirmed removal came after that check; buyable when such a
    check saw it active and no later check saw it out of stock or removed.
    """
    statuses = ("active",) if buyable else ("active", "out_of_stock")
    if not history:
        query = select(*columns).where(online_now(now, buyable))
    else:
        seen, later = aliased(Check), aliased(Check)
        undone = or_(later.status_after == "removed", later.verdict == "out_of_stock"
                     ) if buyable else later.status_after == "removed"
        query = (select(*columns).select_from(seen).join(Listing, Listing.id == seen.listing_id)
                 .where(Listing.approved, seen.verdict.in_(statuses),
                        seen.at > window_start(now), seen.at <= now,
                        ~exists().where(later.listing_id == seen.listing_id,
                                        later.at > seen.at, later.at <= now, undone)))
    if filters.marketplace:
        query = query.join(Marketplace, Marketplace.id == Listing.marketplace_id).where(
            Marketplace.slug == filters.marketplace)
    return query


def counted(filters: Filters, today: date):
    """The condition for counted products under the filters (product and producer joined)."""
    return and_(~Product.withdrawn, Product.certified_on <= today, Product.expires_on >= today,
                *filters.on(Producer.commune, Product.category, Product.stars))


def flags(filters: Filters, now: datetime, history: bool = False):
    """Per product: 1 when it has an online listing, 1 when a buyable one.

    The listing sets are uncorrelated IN subqueries that SQLite and PostgreSQL evaluate once,
    from the covering index ix_listings_online, not once per product.
    """
    online = case((Product.id.in_(online_listings(filters, now, history=history)), 1), else_=0)
    buyable = case((Product.id.in_(online_listings(filters, now, True, history)), 1), else_=0)
    return online, buyable


@dataclass
class Cell:
    """Counted products sharing one group, star rating, commune and producer kind."""

    group: int
    stars: int
    commune: str
    producer_kind: str
    counted: int
    online: int
    buyable: int


def cube(filters: Filters, now: datetime, history: bool = False) -> list[Cell]:
    """Counted, online and buyable products per combination of the product dimensions: one
    aggregate query that the headline and every product breakdown are summed from (SQLite has
    no GROUPING SETS; a few thousand cells at most). `history`: as the checks stood at `now`."""
    return tally(filters, local_date(now), *flags(filters, now, history))


# The product dimensions a cell is keyed by, over products joined to producers: one tuple,
# so GROUP BY repeats the very expressions selected (PostgreSQL compares them, binds included).
KEYS = (Product.category, Product.stars, func.coalesce(Producer.commune, ""), Producer.kind)


def tally(filters: Filters, today: date, online, buyable) -> list[Cell]:
    """The cube's query, given per-product `online` and `buyable` flags (1 or 0)."""
    rows = db.session.execute(
        select(*KEYS, func.count(), func.sum(online), func.sum(buyable))
        .select_from(Product).join(Producer).where(counted(filters, today))
        .group_by(*KEYS))
    return [Cell(*row[:4], row[4], row[5] or 0, row[6] or 0) for row in rows]


def headline(filters: Filters, now: datetime | None = None,
             cells: list[Cell] | None = None) -> Headline:
    """The headline figures today."""
    now = now or utcnow()
    today = local_date(now)
    cells = cube(filters, now) if cells is None else cells
    products = select(Product.id).join(Producer).where(counted(filters, today))
    stale = Listing.stale_before(window_start(now))
    listings = (select(func.count(), func.count(case((stale, 1))),
                       func.count(func.distinct(Listing.product_id)),
                       func.count(case((Listing.last_checked_at.is_(None), 1))))
                .where(Listing.approved, Listing.product_id.in_(products)))
    if filters.marketplace:
        listings = listings.join(Marketplace).where(Marketplace.slug == filters.marketplace)
    return assemble(filters, today, cells, Product.id.in_(online_listings(filters, now)),
                    listings)


def assemble(filters: Filters, today: date, cells: list[Cell], online, listings) -> Headline:
    """A headline from the cube's `cells`, the condition for a product `online`, and a query
    of (listings, stale listings, products listed, listings never checked) over the counted
    products' listings: today's or a closed month's."""
    total = sum(c.counted for c in cells)
    by_stars: dict[int, int] = {}
    for cell in cells:
        by_stars[cell.stars] = by_stars.get(cell.stars, 0) + cell.counted
    producers = db.session.execute(
        select(func.count(func.distinct(Product.producer_id)),
               func.count(func.distinct(case((online, Product.producer_id)))))
        .select_from(Product).join(Producer).where(counted(filters, today))).one()
    n_listings, n_stale, listed, n_unchecked = db.session.execute(listings).one()
    return Headline(today, total, by_stars,
                    Figure(sum(c.online for c in cells), total),
                    Figure(sum(c.buyable for c in cells), total),
                    total - listed, n_listings, n_stale, n_unchecked,
                    Figure(producers[1], producers[0]))


ROLL_UPS = {
    "group": (lambda c: c.group, lambda k: CATEGORIES.get(k, k), "category"),
    "stars": (lambda c: c.stars, lambda k: f"{k} ★", "stars"),
    "commune": (lambda c: c.commune, lambda k: k or "—", "commune"),
    "producer_kind": (lambda c: c.producer_kind, lambda k: PRODUCER_KINDS.get(k, k), None),
}


def breakdown(dimension: str, filters: Filters, now: datetime | None = None,
              cells: list[Cell] | None = None, history: bool = False) -> list[Row]:
    """The share online per group, star rating, commune, producer kind or marketplace."""
    now = now or utcnow()
    if dimension == "marketplace":
        return by_marketplace(filters, now, history, cells)
    key, label, arg = ROLL_UPS[dimension]
    totals: dict = {}
    for cell in cube(filters, now, history) if cells is None else cells:
        n, up, buy = totals.get(key(cell), (0, 0, 0))
        totals[key(cell)] = (n + cell.counted, up + cell.online, buy + cell.buyable)
    return [Row(str(k), str(label(k)), n, Figure(up, n), Figure(buy, n),
                {arg: k} if arg and k != "" else {})
            for k, (n, up, buy) in sorted(totals.items())]


def by_marketplace(filters: Filters, now: datetime, history: bool = False,
                   cells: list[Cell] | None = None) -> list[Row]:
    """Per marketplace: counted products with an online (buyable) listing on it, over all
    counted products — the province's "sàn Postmart: 120/267" figures."""
    today = local_date(now)
    products = select(Product.id).join(Producer).where(counted(filters, today))
    whole = (sum(c.counted for c in cells) if cells is not None else
             db.session.scalar(select(func.count()).select_from(products.subquery())))

    def per_marketplace(buyable: bool, split: bool = False) -> list[tuple]:
        """(marketplace id, counted products with an online, or buyable, listing there); with
        `split`, also those with a listing there buyable by today's status."""
        pairs = online_listings(filters, now, buyable, history,
                                columns=(Listing.marketplace_id, Listing.product_id,
                                         Listing.status)
                                ).where(Listing.product_id.in_(products)).subquery()
        counts = [func.count(func.distinct(pairs.c.product_id))]
        if split:
            counts.append(func.count(func.distinct(case((pairs.c.status == "active",
                                                         pairs.c.product_id)))))
        return db.session.execute(select(pairs.c.marketplace_id, *counts)
                                  .group_by(pairs.c.marketplace_id)).all()

    if history:
        return marketplace_rows(dict(per_marketplace(False)), dict(per_marketplace(True)),
                                whole, filters)
    # Today's statuses tell the buyable listings apart within the online ones: one pass.
    rows = per_marketplace(False, split=True)
    return marketplace_rows({m: up for m, up, _ in rows}, {m: buy for m, _, buy in rows},
                            whole, filters)


def marketplace_rows(online: dict[int, int], buyable: dict[int, int], whole: int,
                     filters: Filters) -> list[Row]:
    """The marketplace breakdown's rows from products online (buyable) per marketplace id."""
    marketplaces = select(Marketplace).where(Marketplace.enabled).order_by(Marketplace.name)
    if filters.marketplace:
        marketplaces = marketplaces.where(Marketplace.slug == filters.marketplace)
    rows = []
    for marketplace in db.session.scalars(marketplaces):
        up, buy = online.get(marketplace.id, 0), buyable.get(marketplace.id, 0)
        rows.append(Row(marketplace.slug, marketplace.name, whole, Figure(up, whole),
                        Figure(buy, whole), {"marketplace": marketplace.slug}))
    return rows
