"""Adding, approving and removing listings; each call is one transaction."""

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..errors import Invalid
from ..extensions import db
from ..models import Listing, Marketplace, Product, User, utcnow
from ..notify import events
from .resolve import ListingUrlError, Resolver, duplicate_message, existing_listing


def add_listing(product: Product, url: str, user: User,
                marketplace: Marketplace | None = None) -> Listing:
    """Record that `url` sells `product`; a producer's listing waits for an officer's approval."""
    try:
        with Resolver() as resolver:  # a share link is followed to its listing here
            found, parsed = resolver.resolve(url, marketplace)
    except ListingUrlError as exc:
        raise Invalid.one("url", str(exc)) from None
    if not found.enabled:
        raise Invalid.one("url", _("Sàn %(name)s đang tạm ngừng theo dõi.", name=found.name))
    other = existing_listing(found.id, parsed.item_id)
    if other is not None:
        raise Invalid.one("url", duplicate_message(other.product, user))
    listing = Listing(
        product=product, marketplace=found, url=parsed.entered, canonical_url=parsed.canonical,
        item_id=parsed.item_id, added_by=user, approved=user.can("officer"),
    )
    db.session.add(listing)
    try:
        db.session.commit()
    except IntegrityError:  # the same item added elsewhere at the same moment
        db.session.rollback()
        raise Invalid.one("url", _("Gian hàng này vừa được gắn với một sản phẩm khác.")) from None
    return listing


def approve_listing(listing: Listing) -> None:
    """An officer accepts a producer's proposed listing (one refused earlier included)."""
    if not listing.approved:
        listing.approved = True
        events.proposal_decided(listing, "proposal_approved")
    listing.refusal = listing.refused_at = None
    db.session.commit()


def refuse_listing(listing: Listing, reason: str | None) -> None:
    """An officer turns down a proposal, saying why: the producer reads the reason on the
    product's page. Without a reason, or for a listing already approved, nothing changes."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.one("reason", _("Hãy ghi lý do từ chối để chủ thể biết cần sửa gì."))
    if listing.approved:
        raise Invalid.one("reason", _("Gian hàng này đã được duyệt; muốn bỏ thì hãy gỡ nó."))
    listing.refusal = reason
    listing.refused_at = utcnow()
    events.proposal_decided(listing, "proposal_refused")
    db.session.commit()


def remove_listing(listing: Listing) -> None:
    """Forget a listing (its history stays in the audit trail)."""
    db.session.delete(listing)
    db.session.commit()
