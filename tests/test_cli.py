"""The `ocop` commands."""

import pytest

from ocop.demo import PRODUCTS
from ocop.extensions import db
from ocop.models import Listing, Marketplace, Product, User
from ocop.sample_markets import MARKETS


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["ocop", *args])


def test_init_is_repeatable_and_creates_the_admin_once(run, app):
    result = run("init", "--admin", "boss@example.vn", "--password", "mot-mat-khau-dai")
    assert result.exit_code == 0, result.output
    assert "boss@example.vn (admin) created" in result.output
    assert "các sàn đã có từ trước" in result.output  # the app fixture seeded them
    result = run("init", "--admin", "boss@example.vn", "--password", "khac-hoan-toan")
    assert "exists already" in result.output and "0 marketplace" not in result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email="boss@example.vn"))
        assert user.check_password("mot-mat-khau-dai")
        assert db.session.scalar(db.select(db.func.count(Marketplace.id))) == 7


def test_demo_loads_once(run, app):
    assert "Đã nạp dữ liệu mẫu" in run("demo").output
    assert "không thay đổi gì" in run("demo").output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Product.id))) == len(PRODUCTS)
        assert db.session.scalar(db.select(db.func.count(Listing.id))) >= 20
        slugs = db.session.scalars(db.select(Marketplace.slug).join(Listing.marketplace)
                                   .distinct()).all()
        assert len(slugs) == len(MARKETS) and all(slug.startswith("mau-") for slug in slugs)


def test_user_add(run, app):
    result = run("user", "add", "htx@example.vn", "--role", "producer", "--producer",
                 "5300654321", "--password", "mot-mat-khau-dai")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email="htx@example.vn"))
        assert user.producer.name == "HTX Sơn Hòa"
    assert run("user", "add", "x@example.vn", "--role", "producer", "--producer", "999",
               "--password", "mot-mat-khau-dai").exit_code == 1
    result = run("user", "add", "y@example.vn", "--role", "officer", "--password", "ngan")
    assert result.exit_code == 1 and "ít nhất 10 ký tự" in result.output


def test_marketplace_add_and_list(run):
    result = run("marketplace", "add", "Chợ phiên Lào Cai", "--host", "127.0.0.1:8901",
                 "--host", "Cho.example.vn", "--adapter", "generic", "--concurrency", "3",
                 "--min-interval", "0.5")
    assert result.exit_code == 0, result.output
    listing = run("marketplace", "list").output
    assert "cho-phien-lao-cai" in listing and "127.0.0.1:8901,cho.example.vn" in listing
    result = run("marketplace", "add", "Khác", "--host", "shopee.vn", "--adapter", "generic")
    assert result.exit_code == 1 and "đã thuộc sàn Shopee" in result.output
    result = run("marketplace", "add", "Khác", "--host", "k.vn", "--adapter", "nope")
    assert result.exit_code == 1 and "Bộ đọc không tồn tại" in result.output
