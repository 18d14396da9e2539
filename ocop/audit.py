"""The audit trail: every create, update and delete of a registry record, written as it flushes.

Operations never write audit rows by hand: a session listener sees what the flush changes. Bulk
imports that bypass the unit of work build the same rows with `row()` and `write()`.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from .models import (
    Attestation,
    AuditEntry,
    Listing,
    Marketplace,
    Producer,
    Product,
    ShopConnection,
    Target,
    User,
    Webhook,
    utcnow,
)

# Per audited class: its entity name and the fields whose changes are worth keeping.
AUDITED = {
    Producer: ("producer", ("name", "kind", "tax_code", "representative", "phone", "email",
                            "province", "commune", "address")),
    Product: ("product", ("code", "name", "producer_id", "category", "subgroup", "stars",
                          "decision_no", "certified_on", "expires_on", "withdrawn")),
    Marketplace: ("marketplace", ("name", "slug", "adapter", "fetch", "enabled", "concurrency",
                                  "min_interval", "hosts")),
    Listing: ("listing", ("product_id", "marketplace_id", "url", "canonical_url", "item_id",
                          "approved", "refusal")),
    User: ("user", ("email", "name", "role", "producer_id", "active", "password_hash",
                    "language", "notify_email")),
    Target: ("target", ("share", "due_on", "note")),
    # Never its secret: only its owner sees it, once.
    Webhook: ("webhook", ("scope", "user_id", "url")),
    # Never its tokens: they are secrets the audit must not copy.
    ShopConnection: ("shop_connection", ("producer_id", "marketplace_id", "shop_id", "shop_name",
                                         "state")),
    # Never the image: its bytes stay in the table, served only to those who may see them.
    Attestation: ("attestation", ("listing_id", "seen_on", "note", "media_type", "created_by",
                                  "counts_until", "confirmed_at", "confirmed_by_id",
                                  "withdrawn_at", "withdrawn_by_id", "withdrawal")),
}
SECRET_FIELDS = frozenset({"password_hash"})

# Load the value being replaced even when a commit has expired it, so "before" is never lost.
for _cls, (_entity, _fields) in AUDITED.items():
    for _name in _fields:
        event.listen(getattr(_cls, _name), "set", lambda *_args: None, active_history=True)

_actor: ContextVar[tuple[int | None, str]] = ContextVar("audit_actor", default=(None, "system"))


@contextmanager
def acting_as(label: str, user: User | None = None):
    """Attribute the changes made inside the block to `user` or, without one, to `label`."""
    token = _actor.set((user.id, user.email) if user else (None, label))
    try:
        yield
    finally:
        _actor.reset(token)


def actor() -> tuple[int | None, str]:
    """Who is changing things now: the signed-in user, else whoever `acting_as` named."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email
    return _actor.get()


def row(action: str, entity: str, entity_id: int, label: str, changes: dict) -> dict:
    """One audit row, ready for a bulk insert."""
    actor_id, actor_label = actor()
    return {"at": utcnow(), "actor_id": actor_id, "actor": actor_label, "action": action,
            "entity": entity, "entity_id": entity_id, "label": label[:500], "changes": changes}


def write(session: Session, rows: list[dict]) -> None:
    """Insert audit rows in the session's transaction."""
    if rows:
        session.execute(insert(AuditEntry), rows)


def plain(value):
    """A value as JSON can hold it."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return sorted(plain(v) for v in value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _changes(obj, fields: tuple[str, ...], action: str) -> dict:
    """Field -> [before, after] for the fields that this create, update or delete touches."""
    state = inspect(obj)
    changes = {}
    for name in fields:
        history = state.attrs[name].history
        if action == "update" and not history.has_changes():
            continue
        now = list(history.unchanged) + list(history.added)
        was = list(history.unchanged) + list(history.deleted)
        if not getattr(state.mapper.attrs[name], "uselist", False):  # a column, not a collection
            now, was = (now[0] if now else None), (was[0] if was else None)
        before, after = plain(was), plain(now)
        if action == "update" and before == after:
            continue
        if name in SECRET_FIELDS:
            before, after = ("***" if before else None), ("***" if after else None)
        changes[name] = {"create": [None, after], "delete": [before, None]}.get(
            action, [before, after]
        )
    return changes


@event.listens_for(Session, "after_flush")
def _record(session: Session, _context) -> None:
    """Write one audit row per audited record that this flush creates, changes or deletes."""
    rows = []
    for action, objects in (("create", session.new), ("update", session.dirty),
                            ("delete", session.deleted)):
        for obj in objects:
            spec = AUDITED.get(type(obj))
            if spec is None:
                continue
            entity, fields = spec
            changes = _changes(obj, fields, action)
            if changes or action != "update":
                rows.append(row(action, entity, obj.id, str(obj), changes))
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)
