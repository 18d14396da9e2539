"""The schema comes only from migrations, and the migrations match the models."""

from datetime import date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from ocop.extensions import db


def script_head(app) -> str:
    config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config).get_current_head()


def test_database_is_at_the_newest_migration(app):
    with app.app_context(), db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == script_head(app)


def test_models_match_the_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_to_empty_and_upgrade_again(app):
    directory = app.extensions["migrate"].directory
    with app.app_context():
        downgrade(directory=directory, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=directory)
        assert {"products", "listings", "audit_entries"} <= set(
            inspect(db.engine).get_table_names())


def test_blank_decision_numbers_stored_as_text_become_null(app):
    directory = app.extensions["migrate"].directory
    with app.app_context():
        downgrade(directory=directory, revision="e3a1b7c5d902")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO products (code, name, producer_id, category, stars, decision_no,"
                " subgroup, certified_on, expires_on, withdrawn, search_text, version,"
                " created_at, updated_at) SELECT 'A-1', 'Trà', id, 1, 3, ' ', '', :on, :until,"
                " false, '', 1, :now, :now FROM producers LIMIT 1"),
                {"on": date(2025, 1, 1), "until": date(2028, 1, 1), "now": datetime(2026, 1, 1)})
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT decision_no, subgroup FROM products")).one() == (
                None, None)
