"""Fixtures: a migrated database per backend (SQLite always, PostgreSQL when
OCOP_TEST_DATABASE_URL is set), an app and signed-in clients per test."""

import os
import shutil
from datetime import date

import pytest
from flask_migrate import upgrade
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from ocop import create_app
from ocop.audit import acting_as
from ocop.extensions import db
from ocop.marketplaces.seed import seed_marketplaces
from ocop.models import Listing, Marketplace, Producer, Product, User
from ocop.text import fold

PASSWORD = "mat-khau-thu-nghiem"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("OCOP_TEST_DATABASE_URL") else [])


def build_app(uri: str, **overrides):
    """An app on `uri` with test settings."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "test",
                       "WTF_CSRF_ENABLED": False, **overrides})


def reset_postgresql(url: str) -> None:
    """Drop everything in the test database's public schema."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def migrate_empty(uri: str) -> None:
    """Bring an empty database to the newest schema, the only way the app creates tables."""
    app = build_app(uri)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory) -> dict:
    """A migrated, empty database for one backend: its kind and URL."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        migrate_empty(f"sqlite:///{path}")
        return {"kind": "sqlite", "template": path}
    url = os.environ["OCOP_TEST_DATABASE_URL"]
    reset_postgresql(url)
    migrate_empty(url)
    return {"kind": "postgresql", "url": url}


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hashing is slow by design: do it once."""
    return generate_password_hash(PASSWORD)


@pytest.fixture
def database_uri(backend, tmp_path) -> str:
    """A fresh, empty, migrated database for this test."""
    if backend["kind"] == "sqlite":
        path = tmp_path / "ocop.sqlite3"
        shutil.copy(backend["template"], path)
        return f"sqlite:///{path}"
    engine = create_engine(backend["url"].replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return backend["url"]


@pytest.fixture
def app_overrides() -> dict:
    """Settings a test module may change by overriding this fixture."""
    return {}


@pytest.fixture
def app(database_uri, password_hash, app_overrides):
    """The app on a fresh database holding the seeded marketplaces and one user per role."""
    app = build_app(database_uri, **app_overrides)
    with app.app_context(), acting_as("test-setup"):
        seed_marketplaces()
        producer = make_producer("HTX Chè Hướng Tâm", tax_code="5300123456", commune="Bắc Hà")
        other = make_producer("HTX Sơn Hòa", tax_code="5300654321", commune="Mường Khương")
        for email, role, link in (("admin@example.vn", "admin", None),
                                  ("officer@example.vn", "officer", None),
                                  ("producer@example.vn", "producer", producer),
                                  ("other@example.vn", "producer", other)):
            db.session.add(User(email=email, role=role, producer=link,
                                password_hash=password_hash))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def make_producer(name: str, **fields) -> Producer:
    """A producer added to the session (not committed)."""
    producer = Producer(name=name, kind=fields.pop("kind", "htx"),
                        province=fields.pop("province", "Lào Cai"), **fields)
    producer.refresh_search_text()
    db.session.add(producer)
    return producer


def make_product(code: str, name: str, producer: Producer, **fields) -> Product:
    """A product added to the session (not committed)."""
    certified = fields.pop("certified_on", date(2024, 6, 1))
    product = Product(code=code, name=name, producer=producer,
                      category=fields.pop("category", 1), stars=fields.pop("stars", 3),
                      certified_on=certified,
                      expires_on=fields.pop("expires_on", date(certified.year + 3, 6, 1)),
                      **fields)
    product.refresh_search_text()
    db.session.add(product)
    return product


def producer_named(name: str) -> Producer:
    """The producer whose name folds to the same text as `name`."""
    return next(p for p in db.session.scalars(db.select(Producer)) if fold(p.name) == fold(name))


@pytest.fixture
def client(app):
    """A browser that has not signed in."""
    return app.test_client()


def sign_in(app, email: str):
    """A client signed in as `email`."""
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def admin(app):
    return sign_in(app, "admin@example.vn")


@pytest.fixture
def officer(app):
    return sign_in(app, "officer@example.vn")


@pytest.fixture
def producer_client(app):
    """Signed in as the producer account of HTX Chè Hướng Tâm."""
    return sign_in(app, "producer@example.vn")


@pytest.fixture
def catalogue(app):
    """Three products of two producers, one listing on Shopee."""
    with app.app_context():
        own = producer_named("HTX Chè Hướng Tâm")
        other = producer_named("HTX Sơn Hòa")
        tea = make_product("LC-001", "Chè Bát tiên Hướng Tâm", own, category=2, stars=4)
        make_product("LC-002", "Nước mắm Đặc biệt", own, stars=3)
        ham = make_product("LC-003", "Khẩu nhục Mường Khương", other, stars=3)
        db.session.flush()
        shopee = db.session.scalar(db.select(Marketplace).filter_by(slug="shopee"))
        db.session.add(Listing(product=tea, marketplace=shopee, url="https://shopee.vn/che-i.1.2",
                               canonical_url="https://shopee.vn/che-i.1.2", item_id="1.2"))
        db.session.commit()
        return {"tea": tea.id, "ham": ham.id}


@pytest.fixture
def smtp():
    """A local SMTP relay (aiosmtpd) whose `mailbox` records what it accepts."""
    from tests.mailbox import SmtpServer

    with SmtpServer() as server:
        yield server


@pytest.fixture
def shop(app):
    """An imitation marketplace on 127.0.0.1, registered as "Chợ thử" (slug cho-thu)."""
    from tests.shop import Shop  # it builds on this module's helpers

    with HTTPServer(host="127.0.0.1", port=0) as server:
        shop = Shop(server)
        with app.app_context():
            shop.register()
            db.session.commit()
        yield shop
