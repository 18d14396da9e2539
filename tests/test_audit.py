"""Every create, update and delete leaves who, when, and the values before and after."""

from ocop.audit import acting_as
from ocop.extensions import db
from ocop.models import AuditEntry, Marketplace, MarketplaceHost, Product, User

from .conftest import make_product, producer_named


def entries(entity: str) -> list[AuditEntry]:
    return db.session.scalars(db.select(AuditEntry).filter_by(entity=entity)
                              .order_by(AuditEntry.id)).all()


def test_create_update_delete_with_before_and_after(app):
    with app.app_context(), acting_as("tester"):
        product = make_product("A-1", "Mật ong", producer_named("HTX Sơn Hòa"))
        db.session.commit()
        product.name, product.stars = "Mật ong bạc hà", 4
        db.session.commit()
        db.session.delete(product)
        db.session.commit()
        created, updated, deleted = entries("product")
        assert (created.action, created.actor, created.label) == ("create", "tester",
                                                                  "A-1 – Mật ong")
        assert created.changes["code"] == [None, "A-1"]
        assert updated.changes == {"name": ["Mật ong", "Mật ong bạc hà"], "stars": [3, 4]}
        assert deleted.changes["name"] == ["Mật ong bạc hà", None]


def test_an_update_that_changes_nothing_leaves_no_entry(app):
    with app.app_context():
        product = make_product("A-2", "Trà", producer_named("HTX Sơn Hòa"))
        db.session.commit()
        before = len(entries("product"))
        product.name = "Trà"
        db.session.commit()
        assert len(entries("product")) == before


def test_passwords_are_never_written(app):
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email="officer@example.vn"))
        user.set_password("mot-mat-khau-moi")
        db.session.commit()
        change = entries("user")[-1].changes
        assert change == {"password_hash": ["***", "***"]}


def test_marketplace_hosts_are_recorded(app):
    with app.app_context():
        mp = db.session.scalar(db.select(Marketplace).filter_by(slug="tiki"))
        mp.hosts.append(MarketplaceHost(host="m.tiki.vn"))
        db.session.commit()
        assert entries("marketplace")[-1].changes["hosts"] == [
            ["tiki.vn", "www.tiki.vn"], ["m.tiki.vn", "tiki.vn", "www.tiki.vn"]]


def test_changes_through_pages_name_the_user(officer, app, catalogue):
    officer.post("/products/LC-003/listings", data={"url": "https://voso.vn/x-p5.html"})
    with app.app_context():
        entry = entries("listing")[-1]
        assert (entry.action, entry.actor) == ("create", "officer@example.vn")
        assert entry.changes["item_id"] == [None, "5"]
        assert db.session.get(Product, catalogue["ham"]).id == entry.changes["product_id"][1]
