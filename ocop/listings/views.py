"""Listing actions, answered with the product's listings block so htmx swaps it in place; and
the officers' list of producers' proposals waiting across all products."""

from flask import Blueprint, abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..attestations.panel import panel
from ..checks import screenshots
from ..errors import Invalid
from ..extensions import db
from ..models import Check, Listing
from ..products.views import get_product
from ..web import add_errors, page_arg, page_number, partial, render, role_required
from . import operations, queries
from .forms import ListingForm, RefusalForm

bp = Blueprint("listings", __name__)

# Raised whenever a proposal is decided, so the menu's count of waiting ones refreshes.
PROPOSALS_CHANGED = "proposalsChanged"


def may_edit(product) -> bool:
    """Officers edit any product's listings; a producer proposes listings for their own."""
    return current_user.can("officer") or current_user.producer_id == product.producer_id


def listings_block(product, form: ListingForm | None = None, trigger: str | None = None):
    """The product page, or just its listings block for htmx."""
    return render("products/show.html", "listings", product=product, trigger=trigger,
                  form=form or ListingForm(formdata=None))


@bp.post("/products/<code>/listings")
@login_required
def create(code: str):
    """Add a listing to a product from its page; a producer's goes to the officers' list."""
    product = get_product(code)
    if not may_edit(product):
        abort(403)
    form = ListingForm()
    if form.validate_on_submit():
        try:
            listing = operations.add_listing(product, form.url.data, current_user,
                                             form.chosen_marketplace())
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            if listing.approved:
                flash(_("Đã thêm gian hàng trên %(name)s.", name=listing.marketplace.name),
                      "success")
            else:
                flash(_("Đã gửi đề xuất gian hàng trên %(name)s: đang chờ duyệt. Cán bộ sẽ "
                        "xem và duyệt hoặc cho biết lý do nếu từ chối.",
                        name=listing.marketplace.name), "success")
            return listings_block(product, trigger=None if listing.approved else PROPOSALS_CHANGED)
    return listings_block(product, form)


def get_listing(listing_id: int) -> Listing:
    """A listing of a product the current user may see."""
    listing = db.get_or_404(Listing, listing_id)
    get_product(listing.product.code)
    return listing


@bp.post("/listings/<int:listing_id>/delete")
@login_required
def delete(listing_id: int):
    """Remove a listing; a producer may withdraw only a proposal still awaiting approval."""
    listing = get_listing(listing_id)
    product = listing.product
    if not (current_user.can("officer") or (may_edit(product) and not listing.approved)):
        abort(403)
    operations.remove_listing(listing)
    flash(_("Đã gỡ gian hàng khỏi sản phẩm."), "success")
    return listings_block(product, trigger=PROPOSALS_CHANGED)


@bp.post("/listings/<int:listing_id>/approve")
@role_required("officer")
def approve(listing_id: int):
    """Accept a producer's proposed listing from its product's page."""
    listing = get_listing(listing_id)
    operations.approve_listing(listing)
    return listings_block(listing.product, trigger=PROPOSALS_CHANGED)


@bp.get("/listings/<int:listing_id>")
@login_required
def show(listing_id: int):
    """One listing: its status, the evidence of its latest check, and every check before."""
    return listing_page(get_listing(listing_id), "listing")


def listing_page(listing: Listing, block: str, form=None, trigger: str | None = None):
    """The listing's page, or its `block` for htmx: the listing with its checks, or the
    attestations within it (`form`: an attestation form to show again with its errors)."""
    query = (select(Check).where(Check.listing_id == listing.id)
             .order_by(Check.at.desc(), Check.id.desc()))
    page = db.paginate(query, page=page_number(), per_page=20, error_out=False)
    return render("listings/show.html", block, listing=listing, page=page, trigger=trigger,
                  shot=screenshots.latest(listing.id),
                  shots=screenshots.taken(check.id for check in page.items),
                  push_url=url_for("listings.show", listing_id=listing.id, **page_arg(page))
                  if block == "listing" else None,
                  **panel(listing, form))


@bp.get("/proposals")
@role_required("officer")
def proposals():
    """Every producer's proposal still waiting, oldest first, across products."""
    page = db.paginate(queries.waiting(), page=page_number(), per_page=50, error_out=False)
    return render("listings/proposals.html", "proposals", page=page,
                  form=RefusalForm(formdata=None),
                  push_url=url_for("listings.proposals", **page_arg(page)))


@bp.get("/proposals/count")
@role_required("officer")
def proposals_menu():
    """The menu's entry with the count of waiting proposals, refreshed after a decision."""
    return partial("listings/_proposals_menu.html")


def decided(listing: Listing, form: RefusalForm | None = None, changed: bool = True):
    """A proposal's row after an officer acted on it from the list."""
    return partial("listings/_proposal.html", listing=listing,
                   form=form or RefusalForm(formdata=None),
                   trigger=PROPOSALS_CHANGED if changed else None)


@bp.post("/proposals/<int:listing_id>/approve")
@role_required("officer")
def approve_proposal(listing_id: int):
    """Accept a proposal inline in the list."""
    listing = get_listing(listing_id)
    operations.approve_listing(listing)
    return decided(listing)


@bp.post("/proposals/<int:listing_id>/refuse")
@role_required("officer")
def refuse_proposal(listing_id: int):
    """Turn a proposal down inline in the list, with the reason its producer will read."""
    listing = get_listing(listing_id)
    form = RefusalForm()
    if form.validate_on_submit():
        try:
            operations.refuse_listing(listing, form.reason.data)
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            return decided(listing)
    return decided(listing, form, changed=False)
