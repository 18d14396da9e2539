"""What "online" and "buyable" mean, in one place, for every figure.

A listing is **online** at a moment when its last decisive status then (models.ONLINE: on sale
or sold out) was verified within the freshness window before it; **buyable** when that status
was on sale (models.BUYABLE). Today the listing's own status says so; at a past moment the
checks replayed to it do (a check records the status it left, so the last decisive check up to
the moment is that status). Only approved listings count.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased

from ..models import BUYABLE, ONLINE, Check, Listing


def window_start(now: datetime) -> datetime:
    """The oldest verification that still counts at `now`."""
    return now - timedelta(days=int(current_app.config["FRESHNESS_DAYS"]))


def decisive(check):
    """The condition for a check that decided its listing's status: a verdict that sets one
    (on sale, sold out, hidden by the seller) or a removal confirmed by its second look."""
    return or_(check.verdict.in_((*ONLINE, "unlisted")),
               and_(check.phase == 2, check.status_after == "removed"))


def current(now: datetime, buyable: bool = False):
    """The condition for a listing online (buyable) at `now` by its current status."""
    return and_(Listing.approved, Listing.status.in_(BUYABLE if buyable else ONLINE),
                Listing.verified_at >= window_start(now))


def listings(now: datetime, *, replay: bool = False, buyable: bool = False):
    """The listings online (buyable) at `now`: (listing_id, product_id, marketplace_id,
    status), `status` being the one that makes it online; from the listings' current statuses,
    or with `replay` from the checks as they stood at `now`."""
    statuses = BUYABLE if buyable else ONLINE
    if not replay:
        return select(Listing.id.label("listing_id"), Listing.product_id,
                      Listing.marketplace_id, Listing.status).where(current(now, buyable))
    seen, later = aliased(Check), aliased(Check)
    return (select(Listing.id.label("listing_id"), Listing.product_id, Listing.marketplace_id,
                   seen.verdict.label("status"))
            .select_from(seen).join(Listing, Listing.id == seen.listing_id)
            .where(Listing.approved, seen.verdict.in_(statuses),
                   seen.at >= window_start(now), seen.at <= now,
                   # the last decisive check up to `now`: nothing decided otherwise after it
                   ~exists().where(later.listing_id == seen.listing_id, later.at > seen.at,
                                   later.at <= now, decisive(later))))
