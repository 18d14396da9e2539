"""Reading attestations: the officers' list of those waiting, and a listing's own."""

from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Attestation, Check, Listing, Product, utcnow
from .rules import State, removal_confirmed, state


def _waiting(now: datetime):
    """A producer's attestation an officer has neither confirmed nor refused, still in its
    month, and not overridden by a removal a machine confirmed since."""
    overridden = exists().where(Check.listing_id == Attestation.listing_id, removal_confirmed(),
                                Check.at > Attestation.created_at)
    return (Attestation.confirmed_at.is_(None), Attestation.withdrawn_at.is_(None),
            Attestation.counts_until >= now, ~overridden)


def waiting_count() -> int:
    """How many attestations wait for an officer (the menu shows it on every officer's page)."""
    return db.session.scalar(select(func.count()).select_from(Attestation)
                             .where(*_waiting(utcnow())))


def waiting():
    """Every waiting attestation, oldest first, with what its row shows (never the image)."""
    return (select(Attestation).where(*_waiting(utcnow()))
            .options(joinedload(Attestation.listing).joinedload(Listing.product)
                     .joinedload(Product.producer),
                     joinedload(Attestation.listing).joinedload(Listing.marketplace))
            .order_by(Attestation.created_at, Attestation.id))


def removals(listing_id: int) -> list[datetime]:
    """When machines confirmed the listing removed, oldest first."""
    return list(db.session.scalars(select(Check.at).where(
        Check.listing_id == listing_id, removal_confirmed()).order_by(Check.at)))


def removed_after(attestation: Attestation, times: list[datetime]) -> datetime | None:
    """The first of `times` (removals of its listing) after the attestation was made."""
    return next((t for t in times if t > attestation.created_at), None)


def state_now(attestation: Attestation, times: list[datetime] | None = None) -> State:
    """The attestation's state now; `times`: its listing's removals, when already read."""
    if times is None:
        times = removals(attestation.listing_id)
    return state(attestation, utcnow(), removed_after(attestation, times))


def of_listing(listing_id: int) -> list[tuple[Attestation, State]]:
    """The listing's attestations, newest first, each with its state now."""
    times = removals(listing_id)
    items = db.session.scalars(select(Attestation).where(Attestation.listing_id == listing_id)
                               .order_by(Attestation.created_at.desc(), Attestation.id.desc()))
    return [(a, state_now(a, times)) for a in items]


def live_this_month(listing_id: int, counts_until: datetime) -> Attestation | None:
    """The listing's attestation of the month ending at `counts_until` not withdrawn."""
    return db.session.scalar(select(Attestation).where(
        Attestation.listing_id == listing_id, Attestation.counts_until == counts_until,
        Attestation.withdrawn_at.is_(None)))


def latest_state(listing_id: int) -> tuple[Attestation, State] | None:
    """The listing's latest attestation not withdrawn, with its state now: what the rows of
    its product's page show."""
    latest = db.session.scalar(select(Attestation).where(
        Attestation.listing_id == listing_id, Attestation.withdrawn_at.is_(None))
        .order_by(Attestation.created_at.desc(), Attestation.id.desc()).limit(1))
    return None if latest is None else (latest, state_now(latest))
