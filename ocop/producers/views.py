"""Producer pages: the list, one producer with its products, the edit form."""

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import web
from ..errors import Invalid
from ..extensions import db
from ..models import PRODUCER_KINDS, Producer, Product, User
from ..products.queries import communes, listing_counts
from ..shops.queries import connections_context
from ..web import page_arg, page_number, render, role_required
from . import operations
from .forms import ProducerForm
from .queries import producer_list, product_counts

bp = Blueprint("producers", __name__, url_prefix="/producers")


@bp.get("/")
@role_required("officer")
def index():
    """Producers, searchable without diacritics; search-as-you-type swaps the results."""
    q = request.args.get("q", "").strip()[:200]
    commune = request.args.get("commune", "").strip()[:100]
    kind = request.args.get("kind", "")
    kind = kind if kind in PRODUCER_KINDS else ""
    page = db.paginate(producer_list(q, commune, kind), page=page_number(), per_page=25,
                       error_out=False)
    args = {k: v for k, v in (("q", q), ("commune", commune), ("kind", kind)) if v}
    return render("producers/index.html", "results", page=page, q=q, commune=commune,
                  kind=kind, args=args, communes=communes(),
                  counts=product_counts([p.id for p in page.items]),
                  push_url=url_for("producers.index", **args, **page_arg(page)))


@bp.get("/<int:producer_id>")
@role_required("officer")
def show(producer_id: int):
    """One producer with its products."""
    producer = db.get_or_404(Producer, producer_id)
    products = db.session.scalars(
        select(Product).where(Product.producer_id == producer.id).order_by(Product.code)).all()
    accounts = db.session.scalars(
        select(User).where(User.producer_id == producer.id).order_by(User.email)).all()
    return render("producers/show.html", "products", producer=producer, products=products,
                  counts=listing_counts([p.id for p in products]), accounts=accounts,
                  **connections_context(producer))


@bp.route("/new", methods=["GET", "POST"])
@role_required("officer")
def create():
    """A new producer."""
    form = ProducerForm()
    if request.method == "GET":
        form.province.data = current_app.config["PROVINCE"]
    return edit_form(form, None)


@bp.route("/<int:producer_id>/edit", methods=["GET", "POST"])
@role_required("officer")
def update(producer_id: int):
    """Edit a producer; an edit from a stale copy is refused and explained."""
    producer = db.get_or_404(Producer, producer_id)
    return edit_form(ProducerForm(obj=producer), producer)


def edit_form(form: ProducerForm, producer: Producer | None):
    """Validate inline, save, or show the form again with what went wrong."""
    return web.edit_form(
        form, producer, template="producers/form.html", producer=producer,
        check=lambda data: operations.check(data, producer),
        save=lambda data, version: operations.save_producer(data, producer, version),
        saved=lambda p: web.done(_("Đã lưu chủ thể %(name)s.", name=p.name),
                                 url_for("producers.show", producer_id=p.id)))


@bp.post("/<int:producer_id>/delete")
@role_required("officer")
def delete(producer_id: int):
    """Delete a producer that has no products."""
    producer = db.get_or_404(Producer, producer_id)
    try:
        operations.delete_producer(producer)
    except Invalid as exc:
        flash(exc.text(), "error")
        return redirect(url_for("producers.show", producer_id=producer_id), 303)
    return web.done(_("Đã xoá chủ thể %(name)s.", name=producer.name),
                    url_for("producers.index"))
