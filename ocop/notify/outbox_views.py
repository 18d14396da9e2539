"""The outbox page for administrators: how many messages wait, went or failed, the ones that
wait or failed with their last error, and a retry for each."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import DELIVERY_STATES, Delivery
from ..web import render, role_required, wants_fragment
from . import outbox

bp = Blueprint("outbox", __name__, url_prefix="/outbox")

SHOWN = 50  # rows of each list on the page; the counts say how many there are


def state_counts() -> dict[str, int]:
    """How many deliveries are in each state."""
    rows = db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
    return {state: 0 for state in DELIVERY_STATES} | dict(rows.all())


def listed(states: tuple[str, ...], order) -> list[Delivery]:
    """The first SHOWN deliveries in `states`, in `order`."""
    return db.session.scalars(
        select(Delivery).where(Delivery.state.in_(states)).options(selectinload(Delivery.user))
        .order_by(order, Delivery.id).limit(SHOWN)).all()


def page_context() -> dict:
    """What the page and its htmx fragment show."""
    return {"counts": state_counts(), "enabled": outbox.enabled(),
            "failed": listed(("failed",), Delivery.next_at.desc()),
            "waiting": listed(("queued", "sending"), Delivery.next_at), "shown": SHOWN}


@bp.get("/")
@role_required("admin")
def index():
    """The counts and the lists of failed and waiting messages."""
    return render("notify/outbox.html", "outbox", **page_context())


@bp.post("/<int:delivery_id>/retry")
@role_required("admin")
def retry(delivery_id: int):
    """Queue a failed or waiting message again, due now, and have the queue sent."""
    try:
        delivery = outbox.retry(delivery_id)
    except outbox.NotRetryable:
        message, category = _("Tin này đã gửi hoặc đang gửi; không cần gửi lại."), "warning"
    else:
        db.session.commit()
        outbox.dispatch()
        message, category = _("Đã xếp lại tin gửi %(to)s vào hàng đợi.",
                              to=delivery.address), "success"
    flash(message, category)
    if wants_fragment():
        return render("notify/outbox.html", "outbox", **page_context())
    return redirect(url_for("outbox.index"), 303)
