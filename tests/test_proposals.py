"""Producers' proposals: "đang chờ duyệt" to the producer, one list across products for
officers with a count in the menu, approve or refuse inline (a refusal needs a reason, is
audited and shown to the producer), and advice per listing on the producer's page."""

import pytest

from ocop.extensions import db
from ocop.models import AuditEntry, Listing

from .helpers import HTMX, assert_fragment, assert_full_page, soup


def propose(client, code: str, url: str):
    return client.post(f"/products/{code}/listings", headers=HTMX, data={"url": url})


def listing_id(app, item_id: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Listing.id).filter_by(item_id=item_id))


def state_of(app, item_id: str) -> tuple:
    with app.app_context():
        listing = db.session.scalar(db.select(Listing).filter_by(item_id=item_id))
        return listing.approved, listing.refusal, listing.refused_at is not None


def menu_count(client) -> str | None:
    entry = soup(client.get("/products/")).find(id="proposals-menu")
    mark = entry.find("mark")
    return mark.text if mark else ""


def test_a_proposal_says_it_waits_and_the_officers_menu_counts_it(producer_client, officer, app,
                                                                  catalogue):
    assert menu_count(officer) == ""
    html = assert_fragment(propose(producer_client, "LC-002", "https://voso.vn/nuoc-mam-p77.html"),
                           "listings")
    assert "đang chờ duyệt" in html.find(id="listing-flashes").text
    assert "Đã thêm gian hàng" not in html.text
    assert propose(producer_client, "LC-001", "https://tiki.vn/che-p5.html").status_code == 200
    assert menu_count(officer) == "2"
    assert soup(producer_client.get("/products/")).find(id="proposals-menu") is None


def test_one_list_of_waiting_proposals_across_products(producer_client, officer, app, catalogue):
    propose(producer_client, "LC-002", "https://voso.vn/nuoc-mam-p77.html")
    propose(producer_client, "LC-001", "https://tiki.vn/che-p5.html")
    page = assert_full_page(officer.get("/proposals"), "proposals")
    rows = page.find(id="proposals").find("tbody").find_all("tr")
    assert [row.find("a").text for row in rows] == ["LC-002", "LC-001"]  # oldest first
    assert "Chè Bát tiên" not in rows[0].text  # the approved Shopee listing is not a proposal
    fragment = assert_fragment(officer.get("/proposals", headers=HTMX), "proposals")
    assert len(fragment.find_all("tr", id=True)) == 2
    assert producer_client.get("/proposals").status_code == 403


def test_officer_approves_inline_and_the_menu_is_told(producer_client, officer, app, catalogue):
    propose(producer_client, "LC-002", "https://voso.vn/nuoc-mam-p77.html")
    lid = listing_id(app, "77")
    assert producer_client.post(f"/proposals/{lid}/approve").status_code == 403
    response = officer.post(f"/proposals/{lid}/approve", headers=HTMX)
    assert response.headers["HX-Trigger"] == "proposalsChanged"
    row = soup(response).find(id=f"proposal-{lid}")
    assert "Đã duyệt" in row.text and row.find("button") is None
    assert state_of(app, "77") == (True, None, False)
    assert menu_count(officer) == ""
    menu = officer.get("/proposals/count", headers=HTMX)
    assert soup(menu).find(id="proposals-menu").find("mark") is None
    assert "Không có đề xuất" in officer.get("/proposals").text


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_refusal_without_a_reason_is_refused_and_changes_nothing(producer_client, officer, app,
                                                                   catalogue, reason):
    propose(producer_client, "LC-002", "https://voso.vn/nuoc-mam-p77.html")
    lid = listing_id(app, "77")
    with app.app_context():
        audited = db.session.scalar(db.select(db.func.count()).select_from(AuditEntry))
    response = officer.post(f"/proposals/{lid}/refuse", headers=HTMX, data={"reason": reason})
    assert response.status_code == 200 and "HX-Trigger" not in response.headers
    row = soup(response).find(id=f"proposal-{lid}")
    assert "Hãy ghi lý do từ chối" in row.find(id=f"error-reason-{lid}").text
    assert row.find("details").has_attr("open")
    assert state_of(app, "77") == (False, None, False)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)) == audited
    assert menu_count(officer) == "1"


def test_a_refusal_is_recorded_audited_and_shown_to_the_producer(producer_client, officer, app,
                                                                 catalogue):
    propose(producer_client, "LC-002", "https://voso.vn/nuoc-mam-p77.html")
    lid = listing_id(app, "77")
    reason = "Đường dẫn là gian hàng của người bán khác, không phải của HTX."
    response = officer.post(f"/proposals/{lid}/refuse", headers=HTMX, data={"reason": reason})
    assert response.headers["HX-Trigger"] == "proposalsChanged"
    assert "Đã từ chối" in soup(response).find(id=f"proposal-{lid}").text
    assert state_of(app, "77") == (False, reason, True)
    assert menu_count(officer) == ""  # no longer waiting
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).filter_by(
            entity="listing", entity_id=lid, action="update")).one()
        assert entry.actor == "officer@example.vn"
        assert entry.changes == {"refusal": [None, reason]}
    row = soup(producer_client.get("/products/LC-002")).find(id=f"listing-{lid}")
    assert "Bị từ chối" in row.text and reason in row.find(class_="refusal").text
    assert "rút đề xuất này rồi gửi lại" in row.find(class_="advice").text
    # The producer withdraws it and may propose again.
    assert producer_client.post(f"/listings/{lid}/delete", headers=HTMX).status_code == 200
    assert listing_id(app, "77") is None


def test_an_approved_listing_cannot_be_refused(officer, app, catalogue):
    lid = listing_id(app, "1.2")
    response = officer.post(f"/proposals/{lid}/refuse", headers=HTMX, data={"reason": "Sai"})
    assert "đã được duyệt" in soup(response).find(id=f"error-reason-{lid}").text
    assert state_of(app, "1.2") == (True, None, False)


def test_a_refused_proposal_can_still_be_approved_from_its_product(producer_client, officer, app,
                                                                   catalogue):
    propose(producer_client, "LC-002", "https://voso.vn/nuoc-mam-p77.html")
    lid = listing_id(app, "77")
    officer.post(f"/proposals/{lid}/refuse", headers=HTMX, data={"reason": "Thiếu ảnh"})
    response = officer.post(f"/listings/{lid}/approve", headers=HTMX)
    assert response.headers["HX-Trigger"] == "proposalsChanged"
    assert state_of(app, "77") == (True, None, False)


@pytest.mark.parametrize(("fields", "advice"), [
    ({}, "Chưa kiểm tra"),
    ({"status": "active", "last_verdict": "active"}, "Bạn không cần làm gì"),
    ({"status": "out_of_stock", "last_verdict": "out_of_stock"}, "cập nhật số lượng hàng"),
    ({"status": "removed", "last_verdict": "removed"}, "đăng lại sản phẩm rồi gửi đường dẫn mới"),
    ({"status": "active", "last_verdict": "blocked"}, "sàn chặn máy kiểm tra, cán bộ sẽ xác nhận"),
    ({"last_verdict": "unreachable"}, "máy sẽ thử lại"),
    ({"last_verdict": "unknown"}, "cán bộ sẽ xem lại"),
])
def test_the_producers_page_says_what_each_status_means(producer_client, officer, app, catalogue,
                                                        fields, advice):
    from datetime import datetime

    with app.app_context():
        listing = db.session.scalar(db.select(Listing).filter_by(item_id="1.2"))
        for name, value in fields.items():
            setattr(listing, name, value)
        if fields:
            listing.last_checked_at = datetime(2026, 12, 1)
        db.session.commit()
        lid = listing.id
    row = soup(producer_client.get("/products/LC-001")).find(id=f"listing-{lid}")
    assert advice in row.find(class_="advice").text
    assert soup(officer.get("/products/LC-001")).find(class_="advice") is None


def test_a_waiting_proposal_tells_its_producer_what_happens_next(producer_client, app, catalogue):
    propose(producer_client, "LC-002", "https://voso.vn/nuoc-mam-p77.html")
    row = soup(producer_client.get("/products/LC-002")).find(id=f"listing-{listing_id(app, '77')}")
    assert "Chờ duyệt" in row.text
    assert "Đang chờ duyệt" in row.find(class_="advice").text
