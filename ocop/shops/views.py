"""Connected shops on the web: a producer's shops (their own page, and an officer's view of
it), the connect page and its way out to the marketplace, the way back, and disconnecting;
officers also see every connection with those about to lapse flagged."""

import requests
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..errors import Invalid
from ..extensions import db
from ..headers import sending_forms_to
from ..models import Marketplace, Producer, ShopConnection, utcnow
from ..web import done
from . import operations, platforms
from .queries import connections_context, standing_context

bp = Blueprint("shops", __name__, url_prefix="/shops")


def get_producer(producer_id: int) -> Producer:
    """A producer whose shops the current user may manage: officers any, a producer their own
    (any other is a 404, as if it did not exist)."""
    producer = db.get_or_404(Producer, producer_id)
    if not (current_user.can("officer") or current_user.producer_id == producer.id):
        abort(404)
    return producer


def get_marketplace(slug: str) -> Marketplace:
    """An enabled marketplace that has an open platform, by slug; else 404."""
    marketplace = db.first_or_404(select(Marketplace).where(Marketplace.slug == slug,
                                                            Marketplace.enabled))
    if platforms.module(marketplace.adapter) is None:
        abort(404)
    return marketplace


def connectable_marketplaces() -> list[Marketplace]:
    """The enabled marketplaces whose open platform the province has set up (a client, partner
    credentials, and documentation verified or the platform turned on)."""
    return [m for m in db.session.scalars(select(Marketplace).where(Marketplace.enabled)
                                          .order_by(Marketplace.name))
            if platforms.partner(m.adapter) is not None]


@bp.get("/")
@login_required
def index():
    """Officers: every connection, those lapsing or lost flagged; a producer: their own page."""
    if not current_user.can("officer"):
        if current_user.producer_id is None:
            abort(404)
        return redirect(url_for("shops.producer", producer_id=current_user.producer_id))
    connections = db.session.scalars(select(ShopConnection).order_by(
        ShopConnection.state == "disconnected", ShopConnection.id.desc())).all()
    return render_template("shops/index.html", connections=connections, **standing_context())


@bp.get("/producers/<int:producer_id>")
@login_required
def producer(producer_id: int):
    """A producer's connected shops and the marketplaces a shop can be connected on."""
    owner = get_producer(producer_id)
    return render_template("shops/producer.html", producer=owner,
                           marketplaces=connectable_marketplaces(),
                           **connections_context(owner))


@bp.route("/producers/<int:producer_id>/connect/<slug>", methods=["GET", "POST"])
@login_required
def connect(producer_id: int, slug: str):
    """What connecting means, in plain words; the POST sends the browser to the marketplace."""
    owner, marketplace = get_producer(producer_id), get_marketplace(slug)
    if request.method == "POST":
        try:
            url = operations.begin(owner, marketplace, current_user, utcnow())
        except Invalid as exc:
            flash(exc.text(), "error")
            return redirect(url_for("shops.connect", producer_id=owner.id, slug=slug), 303)
        return redirect(url, 303)
    blocked = operations.connectable(marketplace)
    response = make_response(render_template("shops/connect.html", producer=owner,
                                             marketplace=marketplace, blocked=blocked))
    if not blocked:  # the form's answer sends the browser on to the marketplace
        origin = operations.authorization_origin(marketplace, utcnow())
        response.headers["Content-Security-Policy"] = sending_forms_to(origin)
    return response


@bp.get("/callback/<slug>")
@login_required
def callback(slug: str):
    """The seller is back from the marketplace: keep the grant, or say why not."""
    marketplace = get_marketplace(slug)
    try:
        with requests.Session() as http:
            connection = operations.complete(marketplace, request.args, current_user, http,
                                             utcnow())
    except Invalid as exc:
        db.session.rollback()
        return render_template("shops/refused.html", marketplace=marketplace,
                               message=exc.text()), 400
    return done(_("Đã kết nối gian hàng %(shop)s trên %(name)s. Từ lần kiểm tra tới, các sản "
                  "phẩm của gian hàng này được kiểm tra qua tài khoản sàn.",
                  shop=connection.shop_name or connection.shop_id, name=marketplace.name),
                url_for("shops.producer", producer_id=connection.producer_id))


@bp.post("/<int:connection_id>/disconnect")
@login_required
def disconnect(connection_id: int):
    """Stop asking the marketplace for this shop."""
    connection = db.get_or_404(ShopConnection, connection_id)
    get_producer(connection.producer_id)
    operations.disconnect(connection)
    return done(_("Đã ngắt kết nối gian hàng %(shop)s trên %(name)s. Các sản phẩm của gian "
                  "hàng này sẽ được kiểm tra qua trang như trước.",
                  shop=connection.shop_name or connection.shop_id,
                  name=connection.marketplace.name),
                url_for("shops.producer", producer_id=connection.producer_id))

