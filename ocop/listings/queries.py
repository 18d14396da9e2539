"""The producers' proposals waiting for an officer."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Listing, Product


def waiting_count() -> int:
    """How many proposals wait for an officer (the menu shows it on every page)."""
    return db.session.scalar(select(func.count()).select_from(Listing).where(Listing.waiting))


def waiting():
    """Every waiting proposal across products, oldest first, with what its row shows."""
    return (select(Listing).where(Listing.waiting)
            .options(joinedload(Listing.product).joinedload(Product.producer),
                     joinedload(Listing.marketplace), joinedload(Listing.added_by))
            .order_by(Listing.created_at, Listing.id))
