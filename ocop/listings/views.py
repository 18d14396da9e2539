"""Listing actions, answered with the product's listings block so htmx swaps it in place."""

from flask import Blueprint, abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..checks import screenshots
from ..errors import Invalid
from ..extensions import db
from ..models import Check, Listing
from ..products.views import get_product
from ..web import add_errors, page_arg, page_number, render, role_required
from . import operations
from .forms import ListingForm

bp = Blueprint("listings", __name__)


def may_edit(product) -> bool:
    """Officers edit any product's listings; a producer proposes listings for their own."""
    return current_user.can("officer") or current_user.producer_id == product.producer_id


def listings_block(product, form: ListingForm | None = None):
    """The product page, or just its listings block for htmx."""
    return render("products/show.html", "listings", product=product,
                  form=form or ListingForm(formdata=None))


@bp.post("/products/<code>/listings")
@login_required
def create(code: str):
    """Add a listing to a product from its page."""
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
            flash(_("Đã thêm gian hàng trên %(name)s.", name=listing.marketplace.name), "success")
            return listings_block(product)
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
    return listings_block(product)


@bp.post("/listings/<int:listing_id>/approve")
@role_required("officer")
def approve(listing_id: int):
    """Accept a producer's proposed listing."""
    listing = get_listing(listing_id)
    operations.approve_listing(listing)
    return listings_block(listing.product)


@bp.get("/listings/<int:listing_id>")
@login_required
def show(listing_id: int):
    """One listing: its status, the evidence of its latest check, and every check before."""
    listing = get_listing(listing_id)
    query = (select(Check).where(Check.listing_id == listing.id)
             .order_by(Check.at.desc(), Check.id.desc()))
    page = db.paginate(query, page=page_number(), per_page=20, error_out=False)
    return render("listings/show.html", "listing", listing=listing, page=page,
                  shot=screenshots.latest(listing.id),
                  shots=screenshots.taken(check.id for check in page.items),
                  push_url=url_for("listings.show", listing_id=listing.id, **page_arg(page)))
