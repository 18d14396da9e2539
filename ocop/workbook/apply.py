"""Writing a validated plan: one transaction, so a failure anywhere leaves nothing behind."""

from itertools import islice

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..audit import AUDITED, plain
from ..extensions import db
from ..models import Listing, Producer, Product, utcnow
from ..text import fold
from .plan import Plan

CHUNK = 2000  # rows per statement: big enough to be fast, small enough to bound memory


class ApplyConflict(Exception):
    """The registry changed between validation and writing; nothing was written."""


def batched(items, size: int):
    """Successive tuples of `size` items (itertools.batched arrived only in Python 3.12)."""
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


def apply(plan: Plan, user_id: int | None = None) -> dict[str, int]:
    """Write everything the plan holds, or nothing; return its counts."""
    if not plan.ok:
        raise ValueError("a plan with problems cannot be applied")
    try:
        create_producers(plan)
        change(Producer, plan.producers_changed)
        create_products(plan)
        change(Product, plan.products_changed)
        create_listings(plan, user_id)
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise ApplyConflict() from None
    except BaseException:
        db.session.rollback()
        raise
    return plan.counts()


def insert_audited(model, rows: list[dict], label) -> list[int]:
    """Bulk-insert `rows` of `model` with one audit row each; return the new ids in order.

    Bulk inserts skip the unit of work, so the audit listener never sees them: the audit rows
    are written here, in the same transaction and with the same shape as the listener's."""
    entity, fields = AUDITED[model]
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for chunk in batched(rows, CHUNK):
        chunk_ids = list(db.session.scalars(statement, list(chunk)))
        audit.write(db.session, [
            audit.row("create", entity, new_id, label(row),
                      {name: [None, plain(row.get(name))] for name in fields})
            for new_id, row in zip(chunk_ids, chunk, strict=True)])
        ids.extend(chunk_ids)
    return ids


def stamped(row: dict) -> dict:
    """A row with the bookkeeping columns an ORM insert would fill."""
    now = utcnow()
    return {**row, "version": 1, "created_at": now, "updated_at": now}


def create_producers(plan: Plan) -> None:
    """Insert the new producers and give their drafts the ids."""
    rows = [stamped({
        "name": p.name, "kind": p.kind, "tax_code": p.tax_code, "commune": p.commune,
        "province": p.province, "search_text": fold(f"{p.name} {p.tax_code or ''}"),
    }) for p in plan.producers_new]
    for draft, new_id in zip(plan.producers_new,
                             insert_audited(Producer, rows, lambda r: r["name"]), strict=True):
        draft.id = new_id


def create_products(plan: Plan) -> None:
    """Insert the new products and give their drafts the ids."""
    rows = [stamped({
        "code": p.code, "decision_no": None, **p.values, "producer_id": p.producer.id,
        "withdrawn": False, "search_text": fold(f"{p.code} {p.values['name']}"),
    }) for p in plan.products_new]
    ids = insert_audited(Product, rows, lambda r: f"{r['code']} – {r['name']}")
    for draft, new_id in zip(plan.products_new, ids, strict=True):
        draft.id = new_id


def create_listings(plan: Plan, user_id: int | None) -> None:
    """Insert the new listings, approved since an officer (or the console) imports them."""
    rows = ({
        "product_id": d.product if isinstance(d.product, int) else d.product.id,
        "marketplace_id": d.marketplace_id, "url": d.url, "canonical_url": d.canonical_url,
        "item_id": d.item_id, "added_by_id": user_id, "approved": True,
    } for d in plan.listings_new)
    for chunk in batched(rows, CHUNK):  # a generator: never all 100,000 dicts at once
        insert_audited(Listing, [stamped(r) for r in chunk], lambda r: r["canonical_url"])


def change(model, drafts: list) -> None:
    """Apply changes through the ORM, so the version counter and the audit listener see them."""
    for chunk in batched(drafts, CHUNK):
        records = {r.id: r for r in db.session.scalars(
            select(model).where(model.id.in_([d.id for d in chunk])))}
        for draft in chunk:
            record = records.get(draft.id)
            if record is None:  # deleted since the file was checked
                raise ApplyConflict()
            for name, (_before, after) in draft.changes.items():
                # A product moving to a producer this file creates: the id exists only now.
                setattr(record, name, draft.producer.id if name == "producer_id" else after)
            record.refresh_search_text()
        db.session.flush()
