"""What the pages that list connected shops read."""

from sqlalchemy import select

from ..extensions import db
from ..models import Producer, ShopConnection, utcnow
from . import operations


def connections_context(producer: Producer) -> dict:
    """What the list of a producer's connections shows: the connections (the live ones first)
    and each one's state as of now."""
    rows = db.session.scalars(select(ShopConnection).where(
        ShopConnection.producer_id == producer.id).order_by(ShopConnection.id))
    connections = sorted(rows, key=lambda c: c.state == "disconnected")
    return {"connections": connections, **standing_context()}


def standing_context() -> dict:
    """What templates need to say each connection's state as of now."""
    return {"now": utcnow(), "lapse": operations.lapse()}
