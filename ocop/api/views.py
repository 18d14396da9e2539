"""The API's endpoints: GET only, JSON only, officer fields only for an officer's token."""

import math
import re
from datetime import date

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..bounds import EARLIEST_DAY, MAX_PAGE
from ..checks import runner
from ..dashboard import assemble, figures, sources
from ..extensions import db
from ..localtime import local_date
from ..models import CATEGORIES, LISTING_STATUSES, CheckRun, Listing, Marketplace, Product, utcnow
from ..products.queries import ProductFilters, communes, product_list, visible_products
from . import openapi, serialize, tokens
from .errors import ApiError, register
from .openapi import STARS

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register(bp)

# product_list narrows by role only for producers; the API shows every caller the registry's
# public face, so it asks as one of these stand-ins and leaves the field split to `serialize`.
# Only the officer's may search by tax code (ocop.search).
EVERYONE = type("Everyone", (), {"role": "public", "producer_id": None})()
OFFICER = type("Officer", (), {"role": "officer", "producer_id": None})()
# A whole number as a query string may spell it: 2, or 2.0 (JSON Schema's integer admits both).
WHOLE = re.compile(r"0*([0-9]+)(?:\.0*)?")
HUGE = 10**19  # stands for any longer number: none is ever allowed
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@bp.before_request
def readable() -> None:
    """A NUL in the address is no value any parameter can hold (PostgreSQL refuses it)."""
    if "\x00" in request.path or any("\x00" in key + value
                                      for key, value in request.args.items(multi=True)):
        raise ApiError(400, "invalid_parameter", _("Địa chỉ chứa ký tự NUL."))


@bp.before_request
def identify() -> None:
    """Who is asking: nobody (public fields), or the owner of a valid bearer token."""
    g.api_token = None
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _sep, secret = header.strip().partition(" ")
    token = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" and secret else None
    if token is None:
        raise ApiError(401, "unauthorized", _("Khoá API sai, đã thu hồi hoặc tài khoản đã khoá."))
    g.api_token = token


def officer() -> bool:
    """Whether the caller may see officer fields."""
    return g.api_token is not None and g.api_token.user.can("officer")


def page_size() -> int:
    """Items per page of a list."""
    return int(current_app.config.get("PAGE_SIZE") or 50)


def whole(raw: str) -> int | None:
    """`raw` as a whole number (2 or 2.0, not " 2", "+2" or "2.5"), None if it is not one;
    HUGE for any past 19 digits (Python refuses to read the longest ones)."""
    match = WHOLE.fullmatch(raw)
    if not match:
        return None
    return int(match[1]) if len(match[1]) < 20 else HUGE


def choice(name: str, allowed):
    """The query argument `name` if it is one of `allowed`, None when absent or empty
    (allowEmptyValue in the document); anything else is a 400. Whole numbers as `whole` reads
    them; strings exactly as written."""
    raw = request.args.get(name)
    if not raw:
        return None
    value = whole(raw) if all(isinstance(item, int) for item in allowed) else raw
    if value is None or value not in allowed:
        raise ApiError(400, "invalid_parameter",
                       _("Giá trị “%(value)s” không hợp lệ cho tham số %(name)s.",
                         value=raw[:50], name=name), parameter=name)
    return value


def page_number() -> int:
    """The `page` argument: a whole number from 1 to MAX_PAGE; anything else is a 400."""
    raw = request.args.get("page", "1")
    number = whole(raw)
    if not number:
        raise ApiError(400, "invalid_parameter",
                       _("Số trang phải là số nguyên từ 1 trở lên."), parameter="page")
    if number > MAX_PAGE:
        raise ApiError(400, "invalid_parameter",
                       _("Số trang tối đa là %(max)d.", max=MAX_PAGE), parameter="page")
    return number


def paginated(query, count_query, page: int, windowed: bool = False) -> tuple[list, dict]:
    """One page of `query` and the totals; a page past the end is empty, not an error.
    `windowed` counts in the page's own query (count(*) OVER ()), for a search that would
    otherwise scan its matches twice; `count_query` then serves only an empty page."""
    size = page_size()
    window = query.add_columns(func.count().over()) if windowed else query
    rows = db.session.execute(window.limit(size).offset((page - 1) * size)).all()
    items = [row[0] for row in rows]
    if windowed and rows:
        total = rows[0][1]
    else:
        total = db.session.scalar(count_query) if page > 1 or not windowed else 0
    pages = max(1, math.ceil(total / size))
    return items, {"page": page, "pages": pages, "per_page": size, "total": total}


def listings_of(products: list[Product]) -> dict[int, list[Listing]]:
    """The listings the caller may see of `products`, in one query (never one per product)."""
    found: dict[int, list[Listing]] = {p.id: [] for p in products}
    if not products:
        return found
    query = (select(Listing).options(joinedload(Listing.marketplace))
             .where(Listing.product_id.in_(found)).order_by(Listing.product_id, Listing.id))
    if not officer():
        query = query.where(Listing.approved)
    for item in db.session.scalars(query):
        found[item.product_id].append(item)
    return found


@bp.get("/products")
def products():
    """Products with their listings, searched and filtered like the product list."""
    filters = ProductFilters(
        q=request.args.get("q", "").strip()[:200],
        category=choice("group", CATEGORIES),
        stars=choice("stars", STARS),
        commune=request.args.get("commune", "").strip()[:100],
    )
    page = page_number()
    query = product_list(filters, OFFICER if officer() else EVERYONE)
    count = select(func.count()).select_from(query.order_by(None).subquery())
    items, totals = paginated(query, count, page, windowed=True)
    listings = listings_of(items)
    see = officer()
    return jsonify({**totals, "items": [serialize.product(p, see, listings[p.id])
                                        for p in items]})


@bp.get("/products/<path:code>")
def product(code: str):
    """One product by its registry code."""
    item = db.session.scalar(visible_products(EVERYONE).where(Product.code == code))
    if item is None:
        raise ApiError(404, "not_found", _("Không có sản phẩm mã %(code)s.", code=code[:50]))
    return jsonify(serialize.product(item, officer(), listings_of([item])[item.id]))


@bp.get("/listings")
def listings():
    """Listings filtered by status ("none": never decided) and marketplace slug."""
    status = choice("status", (*LISTING_STATUSES, "none"))
    slug = choice("marketplace", openapi.marketplace_slugs())
    page = page_number()
    conditions = [] if officer() else [Listing.approved]
    if status:
        conditions.append(Listing.status.is_(None) if status == "none"
                          else Listing.status == status)
    if slug:
        conditions.append(Listing.marketplace_id == select(Marketplace.id)
                          .where(Marketplace.slug == slug).scalar_subquery())
    query = (select(Listing).options(joinedload(Listing.marketplace), joinedload(Listing.product))
             .where(*conditions).order_by(Listing.id))
    count = select(func.count()).select_from(Listing).where(*conditions)
    items, totals = paginated(query, count, page)
    see = officer()
    return jsonify({**totals, "items": [serialize.listing(item, see, with_product=True)
                                        for item in items]})


def date_argument(today: date) -> date:
    """The `date` argument (YYYY-MM-DD, from EARLIEST_DAY to `today`), `today` when absent;
    empty or anything else is a 400 (before 2000 no product was certified, and the figures'
    window would reach before year 1)."""
    raw = request.args.get("date")
    if raw is None:
        return today
    try:
        day = date.fromisoformat(raw) if DATE.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None or not EARLIEST_DAY <= day <= today:
        raise ApiError(400, "invalid_parameter",
                       _("Ngày phải có dạng YYYY-MM-DD, từ %(first)s đến hôm nay.",
                         first=EARLIEST_DAY.isoformat()), parameter="date")
    return day


@bp.get("/stats/share")
def stats_share():
    """The share of counted products online on a date (today by default), as the dashboard
    computes it (`sources.at` picks today's statuses, a closed month's cells or the checks)."""
    by = choice("by", openapi.SHARE_BY)
    now = utcnow()
    day = date_argument(local_date(now))
    # Each value checked against the document's own enums (none empty, none padded).
    filters = figures.Filters(commune=choice("commune", communes()) or "",
                              category=choice("group", CATEGORIES), stars=choice("stars", STARS),
                              marketplace=choice("marketplace", openapi.marketplace_slugs()) or "")
    source = sources.at(day, now)
    cells = source.cells(filters)
    whole = sum(c.counted for c in cells)
    totals = serialize.share(whole, sum(c.online for c in cells), sum(c.buyable for c in cells),
                             figures.by_method(cells))
    body = {"date": day.isoformat(), **totals}
    if by:
        rows = assemble.breakdown(openapi.SHARE_BY[by], source, filters, cells)
        body["by"] = by
        body["groups"] = [{"key": row.key, "label": row.label,
                           **serialize.share(row.counted, row.online.part, row.buyable.part,
                                             row.methods)}
                          for row in rows]
    return jsonify(body)


@bp.get("/runs/<int:run_id>")
def run(run_id: int):
    """A check run and how far it got: officers only."""
    if g.api_token is None:
        raise ApiError(401, "unauthorized", _("Cần khoá API của cán bộ."))
    if not officer():
        raise ApiError(403, "forbidden", _("Khoá API này không được xem lượt kiểm tra."))
    item = db.session.get(CheckRun, run_id)
    if item is None:
        raise ApiError(404, "not_found", _("Không có lượt kiểm tra số %(id)d.", id=run_id))
    return jsonify(serialize.run(item, runner.progress(item)))


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi.document())
