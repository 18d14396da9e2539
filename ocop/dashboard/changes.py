"""What changed since the end of last month: the closed month's frozen listing states against
today's statuses."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..localtime import local_date, month_of
from ..models import Listing, ListingMonth, MonthClose, Producer, Product
from . import figures
from .online import now_online


def since_last_month(now: datetime, size: int) -> dict | None:
    """Listings and products whose standing changed since the end of the last closed month:
    listings that came online, were confirmed removed or went dormant (online then, neither
    online nor removed now), and counted products that went offline or came online; the
    first `size` of each with how many there are. None before any month is closed."""
    last = db.session.scalar(select(MonthClose).where(MonthClose.month < month_of(now))
                             .order_by(MonthClose.month.desc()).limit(1))
    if last is None:
        return None
    then = and_(ListingMonth.month == last.month, ListingMonth.listing_id == Listing.id)
    was_online = func.coalesce(and_(ListingMonth.online, ListingMonth.approved), False)
    online = func.coalesce(now_online(now), False)
    listings = select(Listing).outerjoin(ListingMonth, then).where(Listing.approved)
    shown = (listings.join(Listing.product).join(Listing.marketplace).order_by(Listing.id)
             .options(contains_eager(Listing.product), contains_eager(Listing.marketplace)))
    product_then = exists().where(ListingMonth.product_id == Product.id,
                                  ListingMonth.month == last.month, ListingMonth.online,
                                  ListingMonth.approved)
    product_now = exists().where(Listing.product_id == Product.id, online)
    products = (select(Product).join(Producer)
                .where(figures.counted(figures.Filters(), local_date(now))))
    found = tally(listings, shown, listing_changes(was_online, online, Listing.status), size)
    found |= tally(products, products.order_by(Product.code),
                   {"offline": and_(product_then, ~product_now),
                    "back": and_(product_now, ~product_then)}, size)
    return {"since": last, **found}


def listing_changes(was_online, online, status) -> dict:
    """The conditions for how a listing's standing changed between two moments, given whether
    it was online then, is online now, and its status now: it came online, was confirmed
    removed (lost), or went dormant (online then, now neither online nor removed)."""
    return {"came": and_(online, ~was_online),
            "lost": and_(was_online, status == "removed"),
            "dormant": and_(was_online, ~online, status != "removed")}


@dataclass
class Found:
    """How many records match, and the first of them."""

    total: int
    items: list


def tally(rows, shown, conditions: dict, size: int) -> dict[str, Found]:
    """For each condition, how many of `rows` meet it (all counted in one pass) and the first
    `size` of `shown` (the same rows, with what the page shows of them) that do."""
    counts = db.session.execute(rows.with_only_columns(
        *(func.count(case((c, 1))) for c in conditions.values()))).one()
    return {name: Found(total, list(db.session.scalars(shown.where(condition).limit(size)))
                        if total else [])
            for (name, condition), total in zip(conditions.items(), counts, strict=True)}
