"""Marketplace administration: the list, the edit form, switching checks on and off."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import web
from ..errors import Invalid
from ..extensions import db
from ..models import Marketplace
from ..web import partial, render, role_required, wants_fragment
from . import operations
from .forms import MarketplaceForm

bp = Blueprint("marketplaces", __name__, url_prefix="/marketplaces")


@bp.get("/")
@role_required("admin")
def index():
    """Every marketplace with its hosts, politeness settings and listing counts."""
    marketplaces = db.session.scalars(
        select(Marketplace).options(selectinload(Marketplace.hosts)).order_by(Marketplace.name)
    ).all()
    return render("marketplaces/index.html", "marketplaces", marketplaces=marketplaces,
                  counts=operations.listing_counts())


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def create():
    """A new marketplace."""
    return edit_form(MarketplaceForm(), None)


@bp.route("/<int:marketplace_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def update(marketplace_id: int):
    """Edit a marketplace; an edit from a stale copy is refused and explained."""
    marketplace = db.get_or_404(Marketplace, marketplace_id)
    return edit_form(MarketplaceForm(obj=marketplace), marketplace)


def edit_form(form: MarketplaceForm, marketplace: Marketplace | None):
    """Validate inline, save, or show the form again with what went wrong."""
    total = operations.listing_counts().get(marketplace.id, (0, 0))[0] if marketplace else 0
    return web.edit_form(
        form, marketplace, template="marketplaces/form.html", marketplace=marketplace,
        listing_total=total,
        check=lambda data: operations.check(data, marketplace),
        save=lambda data, version: operations.save_marketplace(data, marketplace, version),
        saved=lambda m: web.done(_("Đã lưu sàn %(name)s.", name=m.name),
                                 url_for("marketplaces.index")))


@bp.post("/<int:marketplace_id>/enabled")
@role_required("admin")
def toggle(marketplace_id: int):
    """Switch checking on (`enabled=1`) or off; htmx swaps the marketplace's row in place."""
    marketplace = db.get_or_404(Marketplace, marketplace_id)
    operations.set_enabled(marketplace, request.form.get("enabled") == "1")
    if wants_fragment():
        return partial("marketplaces/_row.html", marketplace=marketplace,
                       counts=operations.listing_counts())
    flash(_("Đã bật kiểm tra sàn %(name)s.", name=marketplace.name) if marketplace.enabled
          else _("Đã tắt kiểm tra sàn %(name)s.", name=marketplace.name), "success")
    return redirect(url_for("marketplaces.index"), 303)


@bp.post("/<int:marketplace_id>/delete")
@role_required("admin")
def delete(marketplace_id: int):
    """Delete a marketplace that has no listings."""
    marketplace = db.get_or_404(Marketplace, marketplace_id)
    try:
        operations.delete_marketplace(marketplace)
    except Invalid as exc:
        flash(exc.text(), "error")
        return redirect(url_for("marketplaces.update", marketplace_id=marketplace_id), 303)
    return web.done(_("Đã xoá sàn %(name)s.", name=marketplace.name),
                    url_for("marketplaces.index"))
