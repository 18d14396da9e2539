"""Saving an edited record without overwriting someone else's newer save."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .errors import Invalid, StaleEdit
from .extensions import db


def save(record, data: dict, version: int | None = None, conflict: Invalid | None = None):
    """Apply `data` to `record` and commit, refusing an edit made from version `version` when
    the record has moved on since; `conflict` is raised when the database refuses a duplicate
    that slipped past validation (two saves at the same moment)."""
    if version is not None and version != record.version:
        raise StaleEdit()
    for name, value in data.items():
        setattr(record, name, value)
    if hasattr(record, "refresh_search_text"):
        record.refresh_search_text()
    if record not in db.session:
        db.session.add(record)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit() from None
    except IntegrityError:
        db.session.rollback()
        raise conflict or Invalid.one("", "conflict") from None
    return record
