"""Attestations on the web: made and withdrawn on a listing's page (its attestations block is
swapped in place), their images served only to those who may see the listing, and the
officers' list of producers' attestations waiting for confirmation."""

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import Invalid
from ..extensions import db
from ..listings.views import get_listing, listing_page
from ..models import Attestation, Listing
from ..web import add_errors, page_arg, page_number, partial, render, role_required, wants_fragment
from . import operations, queries
from .forms import AttestationForm, WithdrawalForm

bp = Blueprint("attestations", __name__)

# Raised whenever an attestation starts or stops waiting, so the menu's count refreshes.
ATTESTATIONS_CHANGED = "attestationsChanged"
FILE_NAMES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def block(listing: Listing, form: AttestationForm | None = None, trigger: str | None = None):
    """The listing's page, or just its attestations block for htmx."""
    return listing_page(listing, "attestations", form=form, trigger=trigger)


def get_attestation(attestation_id: int) -> Attestation:
    """An attestation of a listing the current user may see, else 404."""
    attestation = db.get_or_404(Attestation, attestation_id)
    get_listing(attestation.listing_id)
    return attestation


@bp.get("/listings/<int:listing_id>/attestations")
@login_required
def index(listing_id: int):
    """The listing's attestations block (it refreshes itself after a check run)."""
    return block(get_listing(listing_id))


@bp.post("/listings/<int:listing_id>/attestations")
@login_required
def create(listing_id: int):
    """Record "I saw it on sale on DATE" with a screenshot, from the listing's page."""
    listing = get_listing(listing_id)
    form = AttestationForm()
    if form.validate_on_submit():
        try:
            attestation = operations.attest(listing, current_user, form.seen_on.data,
                                            form.image.data, form.note.data)
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            if attestation.confirmed_at:
                flash(_("Đã ghi xác nhận: gian hàng được tính là đang bán đến hết tháng."),
                      "success")
            else:
                flash(_("Đã gửi xác nhận: cán bộ sẽ xem ảnh rồi xác nhận; khi đó gian hàng "
                        "được tính là đang bán đến hết tháng."), "success")
            if not wants_fragment():
                return redirect(url_for("listings.show", listing_id=listing.id,
                                        _anchor="attestations"), 303)
            return block(listing, trigger=None if attestation.confirmed_at
                         else ATTESTATIONS_CHANGED)
    return block(listing, form)


@bp.get("/attestations/<int:attestation_id>/image")
@login_required
def image(attestation_id: int):
    """The screenshot, re-encoded when it was stored, to whoever may see its listing."""
    attestation = get_attestation(attestation_id)
    response = Response(attestation.image, mimetype=attestation.media_type)
    ext = FILE_NAMES.get(attestation.media_type, "bin")
    response.headers["Content-Disposition"] = f'inline; filename="xac-nhan-{attestation.id}.{ext}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, the image is a document with no script, form or plugin of its own.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def act(attestation: Attestation, action, done: str, in_list: bool):
    """Apply a confirmation or withdrawal from the listing's page or the waiting list; a
    refusal leaves everything as it was and says why (beside the reason in the list)."""
    form = WithdrawalForm()
    error = None
    if not form.validate_on_submit():
        error = Invalid({name: list(messages) for name, messages in form.errors.items()})
    else:
        try:
            action(form.reason.data)
        except Invalid as exc:
            error = exc
            add_errors(form, exc.errors)
    trigger = None if error else ATTESTATIONS_CHANGED
    if in_list:
        return partial("attestations/_waiting_row.html", attestation=attestation, form=form,
                       trigger=trigger)
    flash(error.text() if error else done, "error" if error else "success")
    return block(attestation.listing, trigger=trigger)


@bp.post("/attestations/<int:attestation_id>/confirm")
@role_required("officer")
def confirm(attestation_id: int):
    """An officer confirms a producer's attestation."""
    attestation = get_attestation(attestation_id)
    return act(attestation, lambda _reason: operations.confirm(attestation, current_user),
               _("Đã xác nhận: gian hàng được tính là đang bán đến hết tháng."),
               in_list=request.args.get("in") == "list")


@bp.post("/attestations/<int:attestation_id>/withdraw")
@login_required
def withdraw(attestation_id: int):
    """Its author or an officer withdraws an attestation (an officer's refusal, with a reason)."""
    attestation = get_attestation(attestation_id)
    in_list = request.args.get("in") == "list"
    if in_list and not current_user.can("officer"):
        abort(403)
    return act(attestation,
               lambda reason: operations.withdraw(attestation, current_user, reason),
               _("Đã rút xác nhận: gian hàng không còn được tính nhờ xác nhận này."), in_list)


@bp.get("/attestations")
@role_required("officer")
def waiting():
    """Producers' attestations waiting for an officer, oldest first."""
    page = db.paginate(queries.waiting(), page=page_number(), per_page=50, error_out=False)
    return render("attestations/waiting.html", "waiting", page=page,
                  form=WithdrawalForm(formdata=None),
                  push_url=url_for("attestations.waiting", **page_arg(page)))


@bp.get("/attestations/count")
@role_required("officer")
def menu():
    """The menu's entry with the count of waiting attestations, refreshed after a decision."""
    return partial("attestations/_menu.html")
