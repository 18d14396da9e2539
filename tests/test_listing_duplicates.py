"""A listing URL already registered: who is told which product has it."""

from ocop.audit import acting_as
from ocop.extensions import db
from ocop.models import Listing, Marketplace, Product, User

from .helpers import HTMX, soup

# Another producer's proposal, not yet approved: HTX Sơn Hòa's LC-003 on Tiki.
PROPOSED = "https://tiki.vn/khau-nhuc-muong-khuong-p4242.html"


def propose_for_the_other_producer(app):
    with app.app_context(), acting_as("test-setup"):
        ham = db.session.scalar(db.select(Product).filter_by(code="LC-003"))
        tiki = db.session.scalar(db.select(Marketplace).filter_by(slug="tiki"))
        other = db.session.scalar(db.select(User).filter_by(email="other@example.vn"))
        db.session.add(Listing(product=ham, marketplace=tiki, url=PROPOSED, canonical_url=PROPOSED,
                               item_id="4242", added_by=other, approved=False))
        db.session.commit()


def refusal(response) -> str:
    return soup(response).find(id="error-url").text


def count_of_listings(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Listing.id)))


def test_a_producer_is_not_told_whose_product_has_the_url(producer_client, app, catalogue):
    propose_for_the_other_producer(app)
    before = count_of_listings(app)
    response = producer_client.post("/products/LC-002/listings", headers=HTMX,
                                    data={"url": PROPOSED + "?utm_source=zalo"})
    text = refusal(response)
    assert "đã được đăng ký" in text
    for secret in ("LC-003", "Khẩu nhục", "Mường Khương", "Sơn Hòa"):
        assert secret not in response.text
    assert count_of_listings(app) == before


def test_a_producer_is_told_which_of_their_own_products_has_it(producer_client, catalogue):
    response = producer_client.post("/products/LC-002/listings", headers=HTMX,
                                    data={"url": "https://shopee.vn/che-i.1.2"})
    assert "đã được gắn với sản phẩm LC-001" in refusal(response)


def test_an_officer_is_told_the_product(officer, app, catalogue):
    propose_for_the_other_producer(app)
    response = officer.post("/products/LC-002/listings", headers=HTMX, data={"url": PROPOSED})
    assert "đã được gắn với sản phẩm LC-003" in refusal(response)
