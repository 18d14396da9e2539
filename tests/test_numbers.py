"""Numbers follow the reader's language through Babel: a decimal comma in Vietnamese, a point
in English, in pages and in messages alike."""

import pytest

from ocop.extensions import db
from ocop.models import Listing, Marketplace

from .helpers import soup


def english(client):
    client.post("/lang/en", data={"next": "/"})
    return client


@pytest.mark.parametrize(("lang", "shown"), [("vi", "0,5"), ("en", "0.5")])
def test_the_marketplaces_page_writes_intervals_in_the_readers_language(admin, lang, shown):
    if lang == "en":
        english(admin)
    row = soup(admin.get("/marketplaces/")).find("a", string="Postmart").find_parent("tr")
    assert row.find_all("td")[5].text == shown


@pytest.mark.parametrize(("lang", "shown"), [("vi", "80,5%"), ("en", "80.5%")])
def test_the_target_message_writes_its_percentage_in_the_readers_language(admin, lang, shown):
    if lang == "en":
        english(admin)
    response = admin.post("/dashboard/target", data={"share": "80.5"}, follow_redirects=True)
    assert shown in soup(response).find(class_="flash").text


def test_the_evidence_writes_seconds_with_a_decimal_comma(officer, app, catalogue):
    with app.app_context():
        listing = db.session.scalar(db.select(Listing).filter_by(item_id="1.2"))
        listing.evidence = {"elapsed": 7.009, "attempts": 1, "price": 1290000}
        listing.last_verdict = "active"
        db.session.commit()
        lid = listing.id
    text = soup(officer.get(f"/listings/{lid}")).find(id="listing").text
    assert "Mất 7,01 giây" in text and "1.290.000 ₫" in text
    assert "7.009" not in text


def test_history_writes_decimals_in_the_readers_language(admin, app):
    with app.app_context():
        postmart = db.session.scalar(db.select(Marketplace).filter_by(slug="postmart"))
        postmart.min_interval = 1.5
        db.session.commit()
        mid = postmart.id
    page = soup(admin.get(f"/history/marketplace/{mid}")).text
    assert "0,5" in page and "1,5" in page
