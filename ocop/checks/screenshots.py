"""The browser route's screenshots: stored beside their checks, pruned by the retention rule."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Connection, delete, exists, insert, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Check, Screenshot


def store(connection: Connection, run_id: int, phase: int,
          shots: dict[int, tuple[bytes, datetime, bool]]) -> None:
    """Store the screenshots of a batch's checks just inserted: {listing id: (JPEG, when,
    whether the check changed the listing's status)}."""
    if not shots:
        return
    ids = connection.execute(select(Check.id, Check.listing_id).where(
        Check.run_id == run_id, Check.phase == phase, Check.listing_id.in_(shots)))
    connection.execute(insert(Screenshot.__table__), [
        {"check_id": check_id, "listing_id": listing_id, "at": shots[listing_id][1],
         "changed": shots[listing_id][2], "media_type": "image/jpeg",
         "data": shots[listing_id][0]}
        for check_id, listing_id in ids])


def prune(now: datetime) -> int:
    """Delete the screenshots older than the retention that neither changed a listing's status
    nor are its latest; commit; how many went."""
    cutoff = now - timedelta(days=int(current_app.config["SCREENSHOT_RETENTION_DAYS"]))
    newer = aliased(Screenshot)
    deleted = db.session.execute(delete(Screenshot).where(
        Screenshot.at < cutoff, Screenshot.changed.is_(False),
        exists().where(newer.listing_id == Screenshot.listing_id, newer.at > Screenshot.at)))
    db.session.commit()
    return deleted.rowcount


def taken(check_ids) -> set[int]:
    """Which of these checks have a screenshot."""
    ids = list(check_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Screenshot.check_id).where(
        Screenshot.check_id.in_(ids))))


def latest(listing_id: int):
    """The listing's most recent screenshot as (check_id, at), without its bytes; or None."""
    return db.session.execute(
        select(Screenshot.check_id, Screenshot.at).where(Screenshot.listing_id == listing_id)
        .order_by(Screenshot.at.desc()).limit(1)).first()
