"""History pages (being built)."""

from flask import Blueprint

from ..web import role_required

bp = Blueprint("history", __name__, url_prefix="/history")


@bp.get("/")
@role_required("officer")
def index():
    """Placeholder until the area's pages land."""
    return "history"


@bp.get("/<entity>/<int:entity_id>")
@role_required("officer")
def record(entity: str, entity_id: int):
    """Placeholder until the area's pages land."""
    return f"{entity} {entity_id}"
