"""Writing a validated plan: one transaction, so a failure anywhere leaves nothing behind."""

import json
from datetime import date
from itertools import islice

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..audit import AUDITED
from ..extensions import db
from ..models import AuditEntry, Listing, Producer, Product, utcnow
from ..text import fold
from .plan import Plan

CHUNK = 2000  # rows per statement: big enough to be fast, small enough to bound memory
ANALYZE_AFTER = 1000  # rows written past which the planner's statistics are refreshed


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
        if plan.rows_written >= ANALYZE_AFTER:
            analyze(Producer, Product, Listing)
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise ApplyConflict() from None
    except BaseException:
        db.session.rollback()
        raise
    return plan.counts()


def analyze(*models) -> None:
    """Refresh the query planner's statistics after a bulk load: without them SQLite may pick
    an index that turns a filtered product list into a scan of every listing per product, and
    PostgreSQL's autovacuum gets round to it only later."""
    for model in models:
        db.session.execute(text(f"ANALYZE {model.__tablename__}"))


def insert_audited(model, rows: list[dict], keys: tuple[str, ...], label) -> dict[tuple, int]:
    """Bulk-insert `rows` of `model` with one audit row each; return the new ids by `keys`.

    Bulk inserts skip the unit of work, so the audit listener never sees them: the audit rows
    are built here with audit.row(), in the same transaction and the listener's shape.
    The ids are read back afterwards rather than with RETURNING: a multi-row RETURNING insert
    costs psycopg a parse of a 13,000-placeholder statement per page, and asking SQLite for
    the ids in order makes it insert row by row. Ids only grow, so the rows past the highest
    id seen before are this insert's (and, on PostgreSQL, perhaps someone else's: those are
    told apart by the natural key, which the plan keeps unique)."""
    entity, fields = AUDITED[model]
    table = model.__table__
    key_columns = [table.c[k] for k in keys]
    ids: dict[tuple, int] = {}
    for chunk in batched(rows, CHUNK):
        seen = db.session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
        bulk_insert(table, chunk)
        new = {}
        for new_id, *key in db.session.execute(
                select(table.c.id, *key_columns).where(table.c.id > seen)):
            if new.setdefault(tuple(key), new_id) != new_id:
                raise ApplyConflict()  # a twin inserted by someone else at the same moment
        bulk_insert(AuditEntry.__table__, [
            audit.row("create", entity, new[tuple(row[k] for k in keys)], label(row),
                      {name: [None, jsonable(row.get(name))] for name in fields})
            for row in chunk])
        ids.update(new)
    return ids


def bulk_insert(table, rows) -> None:
    """Insert many rows in the session's transaction: with COPY on PostgreSQL, where row-by-row
    inserts take several times as long, else with one executemany."""
    rows = list(rows)
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    quote = connection.dialect.identifier_preparer.quote
    columns = list(rows[0])
    sql = f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN"
    driver = connection.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                # JSON columns take their text; psycopg adapts every other value itself.
                copy.write_row([json.dumps(v) if isinstance(v, dict) else v
                                for v in map(row.get, columns)])
    except connection.dialect.loaded_dbapi.IntegrityError as exc:
        raise IntegrityError(sql, None, exc) from exc  # as SQLAlchemy would have said it


def jsonable(value):
    """What audit.plain makes of the values an import writes (text, numbers, dates), faster."""
    return value.isoformat() if isinstance(value, date) else value


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
    # New producers sharing a name have different tax codes (validate.Checker.producer).
    ids = insert_audited(Producer, rows, ("name", "tax_code"), lambda r: r["name"])
    for draft in plan.producers_new:
        draft.id = ids[draft.name, draft.tax_code]


def create_products(plan: Plan) -> None:
    """Insert the new products and give their drafts the ids."""
    rows = [stamped({
        "code": p.code, "decision_no": None, "subgroup": None, **p.values,
        "producer_id": p.producer.id, "withdrawn": False,
        "search_text": fold(f"{p.code} {p.values['name']}"),
    }) for p in plan.products_new]
    ids = insert_audited(Product, rows, ("code",), lambda r: f"{r['code']} – {r['name']}")
    for draft in plan.products_new:
        draft.id = ids[draft.code,]


def create_listings(plan: Plan, user_id: int | None) -> None:
    """Insert the new listings, approved since an officer (or the console) imports them."""
    rows = ({
        "product_id": d.product if isinstance(d.product, int) else d.product.id,
        "marketplace_id": d.marketplace_id, "url": d.url, "canonical_url": d.canonical_url,
        "item_id": d.item_id, "added_by_id": user_id, "approved": True,
    } for d in plan.listings_new)
    for chunk in batched(rows, CHUNK):  # a generator: never all 100,000 dicts at once
        insert_audited(Listing, [stamped(r) for r in chunk], ("marketplace_id", "item_id"),
                       lambda r: r["canonical_url"])


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
