"""Settings: the embedded SQLite default, environment overrides, the generated secret."""

from sqlalchemy import text

from ocop import config, create_app
from ocop.extensions import db


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = config.instance_secret(tmp_path)
    assert len(first) == 64
    assert config.instance_secret(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("OCOP_DATABASE_URL", "postgres://u@db.example/ocop")
    monkeypatch.setenv("OCOP_PROVINCE", "Yên Bái")
    monkeypatch.setenv("OCOP_SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/ocop"
    assert app.config["PROVINCE"] == "Yên Bái"
    assert app.config["SECRET_KEY"] == "from-env"


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("OCOP_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/instance/ocop.sqlite3")
    assert app.config["PROVINCE"] == "Lào Cai"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/w.db"})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 15000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()
