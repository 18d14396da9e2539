"""The audit trail: every change, filterable, and the history of one record."""

from flask import Blueprint, abort, request
from flask_login import current_user

from ..extensions import db
from ..web import page_number, render, role_required
from .queries import (
    ACTIONS,
    ENTITIES,
    HistoryFilters,
    changed_fields,
    current_record,
    history_list,
    record_history,
    record_url,
    referenced_names,
)

bp = Blueprint("history", __name__, url_prefix="/history")

PER_PAGE = 50


def entries_context(page) -> dict:
    """What the entry table needs besides the entries: names and change rows per entry."""
    names = referenced_names(page.items)
    return {"page": page, "changes": {e.id: changed_fields(e, names) for e in page.items},
            "ENTITIES": ENTITIES, "ACTIONS": ACTIONS}


@bp.get("/")
@role_required("officer")
def index():
    """All changes, newest first; the filter form swaps only the results."""
    filters = HistoryFilters.from_args(request.args)
    page = db.paginate(history_list(filters), page=page_number(), per_page=PER_PAGE,
                       error_out=False)
    return render("history/index.html", "results", filters=filters, **entries_context(page))


@bp.get("/<entity>/<int:entity_id>")
@role_required("officer")
def record(entity: str, entity_id: int):
    """The history of one record, with a link to it while it still exists."""
    if entity not in ENTITIES:
        abort(404)
    page = db.paginate(record_history(entity, entity_id), page=page_number(),
                       per_page=PER_PAGE, error_out=False)
    current = current_record(entity, entity_id)
    latest = db.session.scalars(record_history(entity, entity_id).limit(1)).first()
    if current is None and latest is None:
        abort(404)
    label = str(current) if current is not None else latest.label
    return render("history/record.html", "results", entity=entity, entity_id=entity_id,
                  label=label, current=current,
                  current_url=record_url(entity, current, current_user),
                  **entries_context(page))
