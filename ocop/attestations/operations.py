"""Recording, confirming and withdrawing attestations; each call is one transaction, and
every refusal (Invalid, with the reason) leaves the database as it was."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..errors import Invalid
from ..extensions import db
from ..localtime import local_date, month_end, month_of
from ..models import Attestation, Listing, User, utcnow
from . import images, queries
from .rules import author_refusal, date_refusal, duplicate_refusal, listing_refusal


def attest(listing: Listing, user: User, seen_on: date | None, image_stream,
           note: str | None = None) -> Attestation:
    """Record that `user` saw `listing` on sale on `seen_on`, with their screenshot. An
    officer's counts at once; a producer's waits for an officer's confirmation."""
    now = utcnow()
    counts_until = month_end(month_of(now))
    refusal = author_refusal(listing, user) or listing_refusal(listing) or (
        duplicate_refusal() if queries.live_this_month(listing.id, counts_until) else None)
    if refusal:
        raise Invalid.one("", refusal)
    errors = {}  # the day and the image are both told at once, so one retry can fix both
    if reason := date_refusal(seen_on, local_date(now)):
        errors["seen_on"] = [reason]
    try:
        image = images.clean(images.read_capped(image_stream))
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    officer = user.can("officer")
    attestation = Attestation(
        listing=listing, seen_on=seen_on, note=(note or "").strip() or None,
        media_type=image.media_type, image=image.data, created_at=now, created_by_id=user.id,
        created_by=user.name or user.email, counts_until=counts_until,
        confirmed_at=now if officer else None, confirmed_by_id=user.id if officer else None)
    db.session.add(attestation)
    try:
        db.session.commit()
    except IntegrityError:  # another one for the same listing and month, at the same moment
        db.session.rollback()
        raise Invalid.one("", duplicate_refusal()) from None
    return attestation


def confirm(attestation: Attestation, officer: User) -> None:
    """An officer confirms a producer's attestation: it counts from now to its month's end."""
    if queries.state_now(attestation).name != "waiting":
        raise Invalid.one("", _("Xác nhận này không còn chờ duyệt (đã được xác nhận, đã rút "
                                "hoặc đã hết hạn)."))
    attestation.confirmed_at = utcnow()
    attestation.confirmed_by_id = officer.id
    db.session.commit()


def withdraw(attestation: Attestation, user: User, reason: str | None = None) -> None:
    """Its author withdraws an attestation, or an officer does (refusing a producer's waiting
    one among them), saying why: the author reads it on the listing's page."""
    reason = (reason or "").strip() or None
    author = attestation.created_by_id == user.id
    if not (author or user.can("officer")):
        raise Invalid.one("", _("Chỉ người đã xác nhận hoặc cán bộ mới rút được xác nhận này."))
    if attestation.withdrawn_at is not None:
        raise Invalid.one("", _("Xác nhận này đã được rút."))
    if not author and reason is None:
        raise Invalid.one("reason", _("Hãy ghi lý do để người đã xác nhận biết vì sao."))
    attestation.withdrawn_at = utcnow()
    attestation.withdrawn_by_id = user.id
    attestation.withdrawal = reason
    db.session.commit()
