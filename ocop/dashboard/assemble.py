"""The headline, the breakdowns and the trend, made the same way from any source of figures
(today's statuses, a replayed moment, a closed month: `sources`)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from ..extensions import db
from ..localtime import local_date
from ..models import (
    CATEGORIES,
    METHODS,
    PRODUCER_KINDS,
    Marketplace,
    Producer,
    Product,
    add_months,
)
from .figures import DIMENSIONS, Cell, Figure, Filters, Headline, Row, by_method, counted
from .sources import Source, closed_months, marketplace_id


def headline(source: Source, filters: Filters, cells: list[Cell]) -> Headline:
    """The headline figures from the cube's `cells` and the source's listings."""
    today = source.on
    total = sum(c.counted for c in cells)
    by_stars: dict[int, int] = {}
    for cell in cells:
        by_stars[cell.stars] = by_stars.get(cell.stars, 0) + cell.counted
    producers = db.session.execute(
        select(func.count(func.distinct(Product.producer_id)),
               func.count(func.distinct(case((source.online_products(filters),
                                              Product.producer_id)))))
        .select_from(Product).join(Producer).where(counted(filters, today))).one()
    states = source.states()
    products = select(Product.id).join(Producer).where(counted(filters, today))
    mine = [states.c.approved, states.c.product_id.in_(products)]
    if filters.marketplace:
        mine.append(states.c.marketplace_id == marketplace_id(filters))
    n_listings, n_stale, listed, n_unchecked = db.session.execute(
        select(func.count(), func.count(case((states.c.stale, 1))),
               func.count(func.distinct(states.c.product_id)),
               func.count(case((states.c.checked_at.is_(None), 1)))).where(*mine)).one()
    return Headline(today, total, by_stars,
                    Figure(sum(c.online for c in cells), total),
                    Figure(sum(c.buyable for c in cells), total),
                    total - listed, n_listings, n_stale, n_unchecked,
                    Figure(producers[1], producers[0]), by_method(cells))


ROLL_UPS = {
    "category": (lambda c: c.category, lambda k: CATEGORIES.get(k, k), "category"),
    "stars": (lambda c: c.stars, lambda k: f"{k} ★", "stars"),
    "commune": (lambda c: c.commune, lambda k: k or "—", "commune"),
    "producer_kind": (lambda c: c.producer_kind, lambda k: PRODUCER_KINDS.get(k, k), None),
}


def breakdown(dimension: str, source: Source, filters: Filters,
              cells: list[Cell]) -> list[Row]:
    """The share online per group, star rating, commune, producer kind (summed from the
    cube's `cells`) or marketplace."""
    if dimension == "marketplace":
        return by_marketplace(source, filters, sum(c.counted for c in cells))
    key, label, arg = ROLL_UPS[dimension]
    groups: dict = {}
    for cell in cells:
        groups.setdefault(key(cell), []).append(cell)
    rows = []
    for k, part in sorted(groups.items()):
        n = sum(c.counted for c in part)
        rows.append(Row(str(k), str(label(k)), n, Figure(sum(c.online for c in part), n),
                        Figure(sum(c.buyable for c in part), n),
                        {arg: k} if arg and k != "" else {}, by_method(part)))
    return rows


def by_marketplace(source: Source, filters: Filters, whole: int) -> list[Row]:
    """Per marketplace: counted products with an online (buyable) listing on it, over all
    counted products — the province's "sàn Postmart: 120/267" figures."""
    found = {m: (up, buy, methods) for m, up, buy, methods in source.marketplaces(filters)}
    marketplaces = select(Marketplace).where(Marketplace.enabled).order_by(Marketplace.name)
    if filters.marketplace:
        marketplaces = marketplaces.where(Marketplace.slug == filters.marketplace)
    rows = []
    for marketplace in db.session.scalars(marketplaces):
        up, buy, methods = found.get(marketplace.id, (0, 0, (0,) * len(METHODS)))
        rows.append(Row(marketplace.slug, marketplace.name, whole, Figure(up or 0, whole),
                        Figure(buy or 0, whole), {"marketplace": marketplace.slug},
                        {m: n or 0 for m, n in zip(METHODS, methods, strict=True)}))
    return rows


def breakdowns(source: Source, filters: Filters, cells: list[Cell]) -> dict[str, list[Row]]:
    """Every breakdown."""
    return {dim: breakdown(dim, source, filters, cells) for dim in DIMENSIONS}


@dataclass
class Point:
    """One month of the trend: the share online and buyable at its end (or today)."""

    month: date
    on: date
    online: Figure
    buyable: Figure
    live: bool = False  # the month in progress, from today's statuses


def trend(filters: Filters, today: Headline, months: int = 24) -> list[Point]:
    """The share online at the end of each of the last `months` closed months, then today's
    figures for the month in progress."""
    current = today.on.replace(day=1)
    points = [Point(month, local_date(as_of), Figure(up, whole), Figure(buy, whole))
              for month, as_of, whole, up, buy
              in closed_months(filters, add_months(current, -months), current)]
    points.append(Point(current, today.on, today.online, today.buyable, live=True))
    return points
