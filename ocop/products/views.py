"""Product pages: the searchable list, one product with its listings, the edit form."""

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..extensions import db
from ..listings.forms import ListingForm
from ..models import Marketplace, Producer, Product
from ..web import page_arg, page_number, render, role_required
from . import operations
from .forms import ProductForm, producer_choice
from .queries import ProductFilters, communes, listing_counts, product_list, visible_products

bp = Blueprint("products", __name__, url_prefix="/products")


def get_product(code: str) -> Product:
    """The product with `code` if the current user may see it, else 404."""
    product = db.session.scalar(visible_products(current_user).where(Product.code == code))
    if product is None:
        abort(404)
    return product


@bp.get("/")
@login_required
def index():
    """The product list; search-as-you-type swaps only the results."""
    filters = ProductFilters.from_args(request.args)
    page = db.paginate(product_list(filters, current_user), page=page_number(),
                       per_page=25, error_out=False)
    counts = listing_counts([p.id for p in page.items])
    marketplaces = db.session.scalars(db.select(Marketplace).order_by(Marketplace.name)).all()
    return render("products/index.html", "results", filters=filters, page=page, counts=counts,
                  communes=communes(), marketplaces=marketplaces,
                  push_url=url_for("products.index", **filters.args(), **page_arg(page)))


@bp.get("/<code>")
@login_required
def show(code: str):
    """One product with its listings and the inline form to add one."""
    product = get_product(code)
    return render("products/show.html", "listings", product=product, form=ListingForm())


@bp.route("/new", methods=["GET", "POST"])
@role_required("officer")
def create():
    """A new product; a producer's page links here with the producer filled in."""
    form = ProductForm()
    if request.method == "GET" and (producer_id := request.args.get("producer", type=int)):
        producer = db.session.get(Producer, producer_id)
        form.producer.data = producer_choice(producer) if producer else ""
    return edit_form(form, None)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@role_required("officer")
def update(code: str):
    """Edit a product; an edit from a stale copy is refused and explained."""
    product = get_product(code)
    form = ProductForm(obj=product)
    if request.method == "GET":
        form.producer.data = producer_choice(product.producer)
    return edit_form(form, product)


def edit_form(form: ProductForm, product: Product | None):
    """Validate inline, save, or show the form again with what went wrong."""
    return web.edit_form(
        form, product, template="products/form.html", product=product,
        check=lambda data: operations.check(data, product),
        save=lambda data, version: operations.save_product(data, product, version),
        saved=lambda p: web.done(_("Đã lưu sản phẩm %(code)s.", code=p.code),
                                 url_for("products.show", code=p.code)))


@bp.post("/<code>/delete")
@role_required("officer")
def delete(code: str):
    """Delete a product and its listings."""
    product = get_product(code)
    operations.delete_product(product)
    return web.done(_("Đã xoá sản phẩm %(code)s.", code=code), url_for("products.index"))


@bp.get("/producer-options")
@role_required("officer")
def producer_options():
    """Suggestions for the producer field, matched without diacritics."""
    from ..producers.queries import producer_list

    producers = db.session.scalars(producer_list(request.args.get("producer", "")).limit(20))
    return render_template("products/_producer_options.html",
                           choices=[producer_choice(p) for p in producers])
