"""Workbook pages (being built)."""

from flask import Blueprint

from ..web import role_required

bp = Blueprint("workbook", __name__, url_prefix="/workbook")


@bp.get("/")
@role_required("officer")
def index():
    """Placeholder until the area's pages land."""
    return "workbook"
