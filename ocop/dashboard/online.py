"""What "online" and "buyable" mean, in one place, for every figure, and how each online
listing is known to be.

A listing is **online** at a moment when its last decisive status then (models.ONLINE: on sale
or sold out) was verified within the freshness window before it, or when a person's
attestation counts then; **buyable** when that status was on sale (models.BUYABLE) — an
attestation says the listing was seen for sale, not that it could be bought since, so it makes
a listing online only. Today the listing's own status says so; at a past moment the checks
replayed to it do (a check records the status it left, so the last decisive check up to the
moment is that status). Only approved listings count.

The **method** of an online listing is how its status was known: the method of the check that
decided it (Listing.method today), or `person` when only an attestation holds it online. A
product online through several listings counts once, under the strongest method
(models.METHODS, strongest first): `RANK` orders them for MIN().

An attestation counts at moment T when an officer confirmed it by T (an officer's own: at
once), T is not after its `counts_until` (the last moment of the month it was made in: so it
is in that month's closed figures, frozen at that very moment, and in no later month's), it
was not withdrawn by T, and no removal a machine confirmed (attestations.rules) came after it
was made and by T.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, literal, null, or_, select
from sqlalchemy.orm import aliased

from ..attestations.rules import removal_confirmed
from ..models import BUYABLE, METHODS, ONLINE, Attestation, Check, Listing

RANK = {method: n for n, method in enumerate(METHODS)}  # 0: the strongest
# The machine methods stronger than reading the page (which is what an unrecorded one was).
STRONG = ("seller_api", "browser")


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


def rank(method):
    """A method column as its strength (0: the strongest); an unrecorded one was a page."""
    return case(RANK, value=method, else_=RANK["page"])


def attested(now: datetime):
    """The condition for an attestation counting at `now` (over Attestation)."""
    removed = exists().where(Check.listing_id == Attestation.listing_id, removal_confirmed(),
                             Check.at > Attestation.created_at, Check.at <= now)
    return and_(Attestation.confirmed_at <= now, Attestation.counts_until >= now,
                or_(Attestation.withdrawn_at.is_(None), Attestation.withdrawn_at > now),
                ~removed)


def attested_listing(now: datetime):
    """The condition for a listing an attestation holds online at `now` (over Listing): an
    uncorrelated IN, found once for all listings, not looked up listing by listing."""
    return Listing.id.in_(select(Attestation.listing_id).where(attested(now)))


def now_online(now: datetime):
    """The condition for a listing online at `now` by today's statuses or an attestation."""
    return or_(current(now), attested_listing(now))


def machine(now: datetime, *, replay: bool = False, buyable: bool = False,
            marketplace_id: int | None = None, method: str | None = None):
    """The listings a machine saw online (buyable) at `now`, only those known by `method` if
    given (one of STRONG: ix_listings_method finds those without reading the rest):
    (listing_id, product_id, marketplace_id, status, method), `status` and `method` those of
    the deciding check; from the listings' current statuses, or with `replay` from the checks
    as they stood at `now`."""
    statuses = BUYABLE if buyable else ONLINE
    if not replay:
        how = Listing.method
        query = select(Listing.id.label("listing_id"), Listing.product_id,
                       Listing.marketplace_id, Listing.status, how).where(current(now, buyable))
    else:
        seen, later = aliased(Check), aliased(Check)
        how = seen.method
        query = (select(Listing.id.label("listing_id"), Listing.product_id,
                        Listing.marketplace_id, seen.verdict.label("status"), how)
                 .select_from(seen).join(Listing, Listing.id == seen.listing_id)
                 .where(Listing.approved, seen.verdict.in_(statuses),
                        seen.at >= window_start(now), seen.at <= now,
                        # the last decisive check up to `now`: nothing decided otherwise since
                        ~exists().where(later.listing_id == seen.listing_id,
                                        later.at > seen.at, later.at <= now,
                                        decisive(later))))
    if marketplace_id is not None:
        query = query.where(Listing.marketplace_id == marketplace_id)
    if method is not None:
        query = query.where(how == method)
    return query


def people(now: datetime, marketplace_id: int | None = None):
    """The listings an attestation holds online at `now`, in `machine`'s columns (status NULL,
    method `person`)."""
    query = (select(Listing.id.label("listing_id"), Listing.product_id, Listing.marketplace_id,
                    null().label("status"), literal("person").label("method"))
             .select_from(Attestation).join(Listing, Listing.id == Attestation.listing_id)
             .where(Listing.approved, attested(now)))
    if marketplace_id is not None:
        query = query.where(Listing.marketplace_id == marketplace_id)
    return query
