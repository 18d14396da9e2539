"""Writing each event and each message once: an insert that skips the rows whose `key` is
there already, in the database's own dialect (both SQLite and PostgreSQL say ON CONFLICT DO
NOTHING), so reruns, retries and two processes at once add nothing twice."""

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


def insert_new(model, rows: list[dict]) -> int:
    """Insert `rows` into `model`'s table (one statement, its rows sent in batches), skipping
    those whose key is taken; how many were added. The caller commits."""
    if not rows:
        return 0
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    table = model.__table__
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["key"])
    return len(db.session.execute(statement.returning(table.c.id), rows).all())
