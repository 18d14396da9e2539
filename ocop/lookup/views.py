"""The public look-up page: no sign-in, no personal data, made for a phone."""

from flask import Blueprint, request, url_for

from ..extensions import db
from ..web import page_arg, page_number, render
from .queries import lookup

bp = Blueprint("lookup", __name__, url_prefix="/tra-cuu")

PER_PAGE = 10  # products a page: each comes with its listings, and producers read on phones
MIN_QUERY = 2  # characters before searching: one letter matches half the registry


@bp.get("/")
def index():
    """Search box and results; typing swaps only the results."""
    q = request.args.get("q", "").strip()[:200]
    page = None
    if len(q) >= MIN_QUERY:
        page = db.paginate(lookup(q), page=page_number(), per_page=PER_PAGE, error_out=False)
    args = {"q": q} if q else {}
    return render("lookup/index.html", "results", q=q, page=page, args=args,
                  min_query=MIN_QUERY,
                  push_url=url_for("lookup.index", **args, **(page_arg(page) if page else {})))
