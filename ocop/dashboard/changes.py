"""What changed since the end of last month: the closed month's frozen listing states against
today's statuses."""

from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..localtime import local_date, month_of
from ..models import Listing, ListingMonth, MonthClose, Producer, Product
from . import figures


def since_last_month(now: datetime, size: int) -> dict | None:
    """Listings and products whose standing changed since the end of the last closed month:
    listings that came online, were confirmed removed or went dormant (online then, neither
    online nor removed now), and counted products that went offline or came online; the
    first `size` of each with how many there are. None before any month is closed."""
    last = db.session.scalar(select(MonthClose).where(MonthClose.month < month_of(now))
                             .order_by(MonthClose.month.desc()).limit(1))
    if last is None:
        return None
    then = select(ListingMonth.listing_id).where(ListingMonth.month == last.month,
                                                 ListingMonth.online, ListingMonth.approved)
    was_online = Listing.id.in_(then)
    online = func.coalesce(figures.online_now(now), False)
    listings = (select(Listing).join(Listing.product).join(Listing.marketplace)
                .options(contains_eager(Listing.product), contains_eager(Listing.marketplace))
                .where(Listing.approved).order_by(Listing.id))
    product_then = exists().where(ListingMonth.product_id == Product.id,
                                  ListingMonth.month == last.month, ListingMonth.online,
                                  ListingMonth.approved)
    product_now = exists().where(Listing.product_id == Product.id, online)
    products = (select(Product).join(Producer)
                .where(figures.counted(figures.Filters(), local_date(now))).order_by(Product.code))
    queries = {"came": listings.where(online, ~was_online),
               "lost": listings.where(was_online, Listing.status == "removed"),
               "dormant": listings.where(was_online, ~online, Listing.status != "removed"),
               "offline": products.where(product_then, ~product_now),
               "back": products.where(product_now, ~product_then)}
    pages = {name: db.paginate(query, page=1, per_page=size, error_out=False)
             for name, query in queries.items()}
    return {"since": last, **pages}
