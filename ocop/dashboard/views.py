"""The dashboard page: figures, breakdowns and what needs a human, filtered through htmx."""

import io
from datetime import timedelta

from flask import Blueprint, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from .. import records, web
from ..extensions import db
from ..localtime import local_date, month_of
from ..models import Listing, Marketplace, MonthClose, Product, Target, utcnow
from ..numbers import percent
from ..products.queries import communes
from ..web import page_number, partial, render, role_required
from . import assemble, changes, chart, figures, online, report, snapshot, sources
from .forms import TargetForm

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

SORTS = ("label", "counted", "share")
ATTENTION = 20  # rows of each "needs a human" list; the count says how many there are
ATTENTION_LISTS = ("troubled", "expiring", "misused")
EXPIRY_DAYS = 90


def sorted_rows(rows: list[figures.Row], sort: str, desc: bool) -> list[figures.Row]:
    """A breakdown in the order the officer clicked."""
    key = {"label": lambda r: r.label, "counted": lambda r: r.counted,
           "share": lambda r: (r.online.percent or 0, r.online.part)}[sort]
    return sorted(rows, key=key, reverse=desc)


def attention(now, pages: dict[str, int]) -> dict:
    """Listings and products that need someone to look: stale or unreadable listings,
    certificates about to expire, expired products still sold as OCOP; each list at its page
    in `pages` (the first when absent)."""
    today = local_date(now)
    cutoff = online.window_start(now)
    troubled = (select(Listing).join(Listing.product).join(Listing.marketplace)
                .options(contains_eager(Listing.product), contains_eager(Listing.marketplace))
                .where(Listing.approved,
                       or_(Listing.last_verdict.in_(("blocked", "unreachable", "unknown")),
                           Listing.stale_before(cutoff)))
                .order_by(Listing.verified_at.asc().nulls_first(), Listing.id))
    expiring = (select(Product).where(~Product.withdrawn, Product.expires_on >= today,
                                      Product.expires_on <= today + timedelta(days=EXPIRY_DAYS))
                .order_by(Product.expires_on, Product.code))
    misused = (select(Product).where(
        or_(Product.withdrawn, Product.expires_on < today),
        Product.id.in_(select(Listing.product_id).where(online.current(now, True))))
        .order_by(Product.expires_on, Product.code))
    return {name: db.paginate(query, page=pages.get(name, 1), per_page=ATTENTION,
                              error_out=False)
            for name, query in (("troubled", troubled), ("expiring", expiring),
                                ("misused", misused))}


@bp.get("/")
@role_required("officer")
def index():
    """The whole dashboard, or only its figures when a filter changes."""
    sort = request.args.get("sort", "label")
    sort = sort if sort in SORTS else "label"
    desc = request.args.get("desc") == "1"
    now = utcnow()
    closed = db.session.scalars(select(MonthClose.month).order_by(MonthClose.month.desc()))
    context = {"sort": sort, "desc": desc, "communes": communes(),
               "report_months": [month_of(now), *closed],
               "marketplaces": db.session.scalars(select(Marketplace).order_by(Marketplace.name)),
               "dimensions": figures.DIMENSIONS, "VERIFIED": figures.VERIFIED}
    try:
        filters = figures.Filters.from_args(request.args)
    except figures.BadFilter as exc:
        return render("dashboard/index.html", "figures", filters=figures.Filters(),
                      error=str(exc), **context)
    taken = snapshot.take(month_of(now), filters, now)
    breakdowns = {dim: sorted_rows(rows, sort, desc) for dim, rows in taken.breakdowns.items()}
    target = db.session.get(Target, 1)
    trend = chart.chart(assemble.trend(filters, taken.head), target.share if target else None)
    args = filters.args(**({"sort": sort} if sort != "label" else {}),
                        **({"desc": 1} if desc else {}))
    return render("dashboard/index.html", "figures", filters=filters, head=taken.head,
                  breakdowns=breakdowns, summary=taken.summary, args=args, trend=trend,
                  target=target, short_of=figures.short_of, error=None,
                  checked_ever=db.session.scalar(select(Listing.id).where(
                      Listing.last_checked_at.is_not(None)).limit(1)) is not None,
                  push_url=url_for("dashboard.index", **args), **context)


@bp.get("/attention")
@role_required("officer")
def attention_list():
    """The "needs a human" lists, fetched by the dashboard once its figures are shown; each is
    paged on its own (`?troubled=2`), and the address alone opens them as a page."""
    pages = {name: page_number(name) for name in ATTENTION_LISTS}
    return render("dashboard/attention.html", "attention", attention=attention(utcnow(), pages),
                  pages={name: n for name, n in pages.items() if n > 1},
                  expiry_days=EXPIRY_DAYS)


@bp.get("/changes")
@role_required("officer")
def changes_list():
    """What changed since the end of last month, fetched once the figures are shown."""
    return partial("dashboard/_changes.html", changes=changes.since_last_month(utcnow(), ATTENTION))


@bp.get("/report.xlsx")
@role_required("officer")
def report_download():
    """The monthly report of the chosen month as a workbook (a bad month: back, with why)."""
    now = utcnow()
    try:
        month = sources.parse_month(request.args.get("month", ""), now)
        taken = snapshot.take(month, figures.Filters(), now)
    except sources.BadMonth as exc:
        flash(str(exc), "error")
        return redirect(url_for("dashboard.index"), 303)
    buffer = io.BytesIO()
    report.write(buffer, taken)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"bao-cao-ocop-{month:%Y-%m}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/target", methods=["GET", "POST"])
@role_required("admin")
def target():
    """Set the province's target; the dashboard measures progress against it."""
    current = db.session.get(Target, 1)
    form = TargetForm(obj=current)
    return web.edit_form(
        form, current, template="dashboard/target.html", target=current,
        check=lambda data: None,
        save=lambda data, version: records.save(current or Target(id=1), data,
                                                version if current else None),
        saved=lambda saved: web.done(_("Đã lưu mục tiêu %(share)s.", share=percent(saved.share)),
                                     url_for("dashboard.index")))
