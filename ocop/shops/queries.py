"""What the pages that list connected shops read."""

from sqlalchemy import select

from ..extensions import db
from ..models import Producer, ShopConnection, utcnow
from . import operations, platforms


def connections_context(producer: Producer) -> dict:
    """What the list of a producer's connections shows: the connections (the live ones first),
    each one's state as of now, and those whose platform cannot tell a listing's shop from its
    address (their listings are still read from their pages)."""
    rows = db.session.scalars(select(ShopConnection).where(
        ShopConnection.producer_id == producer.id).order_by(ShopConnection.id))
    connections = sorted(rows, key=lambda c: c.state == "disconnected")
    return {"connections": connections, "pages_only": pages_only(connections),
            **standing_context()}


def pages_only(connections: list[ShopConnection]) -> set[int]:
    """The connections whose platform cannot tell a listing's shop from its address."""
    return {c.id for c in connections if not platforms.answers_listings(c.marketplace.adapter)}


def standing_context() -> dict:
    """What templates need to say each connection's state as of now."""
    return {"now": utcnow(), "lapse": operations.lapse()}
