"""Checks on the web: who may start them, the self-polling progress, the run and listing pages."""

import os
import time
from pathlib import Path

import pytest

from ocop.extensions import db
from ocop.models import CheckRun, Marketplace
from tests.helpers import HTMX, assert_fragment, assert_full_page, soup
from tests.shop import BLOCKED, FAST, LIVE, SCRIPTED, add_listings


@pytest.fixture
def app_overrides():
    return FAST


def poll(client, run_id: int, limit: float = 20.0):
    """Ask for the progress component as htmx would until it stops asking; its last answer."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        response = client.get(f"/checks/{run_id}/progress", headers=HTMX)
        html = assert_fragment(response, f"run-{run_id}-progress")
        if not html.find(id=f"run-{run_id}-progress").has_attr("hx-get"):
            return response
        time.sleep(0.2)
    raise AssertionError("the run did not finish")


@pytest.mark.parametrize("method, path", [
    ("get", "/checks/"), ("post", "/checks/"), ("post", "/checks/listings/1"),
    ("post", "/checks/products/T-000"), ("get", "/checks/1"), ("get", "/checks/1/progress"),
])
def test_only_officers_work_with_checks(app, shop, client, producer_client, method, path):
    add_listings(app, shop, [LIVE])
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/login" in response.location
    assert getattr(producer_client, method)(path).status_code == 403


def test_checking_one_listing_shows_progress_then_the_result(app, shop, officer):
    (key,) = add_listings(app, shop, [LIVE])
    response = officer.post(f"/checks/listings/{key}", headers=HTMX)
    run_id = int(soup(response).find("article")["id"].split("-")[1])
    assert_fragment(response, f"run-{run_id}-progress")
    final = poll(officer, run_id)
    assert final.headers["HX-Trigger"] == "checkRunFinished"
    assert "1/1" in final.text
    page = officer.get(f"/listings/{key}")
    html = assert_full_page(page, "listing")
    assert "Đang bán" in html.find(id="listing-status").text
    listing = html.find(id="listing").text  # title and price once, above the evidence
    assert "150.000 ₫" in listing and "Chè Bát tiên" in listing
    assert "Dữ liệu sản phẩm (JSON-LD) ghi tình trạng hàng" in html.find(id="evidence").text
    # The product page's listings block refreshes itself when a run finishes.
    block = assert_fragment(officer.get("/products/T-000", headers=HTMX), "listings")
    assert "checkRunFinished" in block.find(id="listings")["hx-trigger"]


def test_checking_a_product_from_a_plain_form_redirects_to_the_run(app, shop, officer):
    add_listings(app, shop, [LIVE])
    response = officer.post("/checks/products/T-000")
    assert response.status_code == 303
    run_id = int(response.location.rstrip("/").split("/")[-1])
    poll(officer, run_id)
    page = assert_full_page(officer.get(f"/checks/{run_id}"), "run-checks")
    assert "T-000" in page.find(id="run-checks").text


def test_starting_a_run_from_the_checks_page(app, shop, officer):
    add_listings(app, shop, [LIVE], [BLOCKED])
    assert_full_page(officer.get("/checks/"), "runs")
    refused = officer.post("/checks/", data={"scope": "marketplace", "marketplace": "0"},
                           headers=HTMX)
    assert "Chọn sàn cần kiểm tra." in refused.text
    with app.app_context():
        assert db.session.scalar(db.select(CheckRun.id)) is None  # the refusal started nothing
    with app.app_context():
        marketplace_id = db.session.scalar(db.select(Marketplace.id).filter_by(slug="cho-thu"))
    response = officer.post("/checks/", data={"scope": "marketplace",
                                              "marketplace": str(marketplace_id)}, headers=HTMX)
    run_id = int(assert_fragment(response, "start").find("article")["id"].split("-")[1])
    assert "2/2 gian hàng" in poll(officer, run_id).text
    with app.app_context():
        run = db.session.get(CheckRun, run_id)
        assert (run.scope, run.scope_id, run.scope_label, run.total) == (
            "marketplace", marketplace_id, "Chợ thử", 2)
    blocked = officer.get(f"/checks/{run_id}?verdict=blocked", headers=HTMX)
    rows = assert_fragment(blocked, "run-checks").select("tbody tr")
    assert len(rows) == 1 and "Bị chặn" in rows[0].text
    runs = assert_fragment(officer.get("/checks/", headers=HTMX), "runs")
    assert f"/checks/{run_id}" in str(runs)


def test_a_second_click_watches_the_run_already_going(app, shop, officer):
    (key,) = add_listings(app, shop, [LIVE])
    with app.app_context():
        run = CheckRun(scope="listing", scope_id=key, origin="web", total=1, degraded=[],
                       state="running")
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    response = officer.post(f"/checks/listings/{key}", headers=HTMX)
    assert soup(response).find("article")["id"] == f"run-{run_id}-progress"


def test_listing_history_pages_as_a_fragment(app, shop, officer, producer_client):
    (key,) = add_listings(app, shop, [LIVE])
    run_id = int(officer.post(f"/checks/listings/{key}").location.split("/")[-1])
    poll(officer, run_id)
    fragment = assert_fragment(officer.get(f"/listings/{key}", headers=HTMX), "listing")
    assert len(fragment.select("tbody tr")) == 1
    # The producer sees their own listing's history, without the officer's buttons.
    page = assert_full_page(producer_client.get(f"/listings/{key}"), "listing")
    assert page.find(attrs={"hx-post": f"/checks/listings/{key}"}) is None


def test_a_listing_never_verified_shows_what_its_check_saw(app, shop, officer):
    (key,) = add_listings(app, shop, [BLOCKED])
    poll(officer, int(officer.post(f"/checks/listings/{key}").location.split("/")[-1]))
    status = assert_full_page(officer.get(f"/listings/{key}"), "listing").find(id="listing-status")
    assert "Bị chặn" in status.text and "chưa xác minh được lần nào" in status.text
    assert "Chưa kiểm tra" not in status.text
    assert "Quá hạn xác minh" not in status.text  # added today: not stale yet


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("CI"),
                    reason="Debian's chromium is not installed")
def test_an_officer_checks_a_listing_again_in_the_browser(app, shop, officer):
    (key,) = add_listings(app, shop, [SCRIPTED])  # on sale only once its script has run
    poll(officer, int(officer.post(f"/checks/listings/{key}").location.split("/")[-1]))
    page = assert_full_page(officer.get(f"/listings/{key}"), "listing")
    assert "Đang bán" not in page.find(id="listing-status").text  # HTTP saw a bare shell
    button = page.find(id="check-in-browser")
    assert button["hx-post"] == f"/checks/listings/{key}" and "browser" in button["hx-vals"]
    response = officer.post(f"/checks/listings/{key}", data={"fetch": "browser"})
    run_id = int(response.location.split("/")[-1])
    poll(officer, run_id, limit=60)
    with app.app_context():
        assert db.session.get(CheckRun, run_id).fetch == "browser"
    assert "đọc trang bằng: Trình duyệt" in officer.get(f"/checks/{run_id}").text
    page = assert_full_page(officer.get(f"/listings/{key}"), "listing")
    assert "Đang bán" in page.find(id="listing-status").text
    evidence = page.find(id="evidence")
    assert "Trang được mở bằng trình duyệt như người mua." in evidence.text
    assert evidence.find("details", class_="technical").summary.text == "Chi tiết kỹ thuật"
    picture = evidence.select_one("figure.screenshot img")["src"]
    shot = officer.get(picture)
    assert shot.mimetype == "image/jpeg" and shot.data[:3] == b"\xff\xd8\xff"
    assert shot.headers["Cache-Control"] == "private, max-age=86400"
    run_page = assert_full_page(officer.get(f"/checks/{run_id}"), "run-checks")
    assert run_page.select_one("td a.thumbnail img")["src"] == picture
    assert officer.post(f"/checks/listings/{key}", data={"fetch": "ftp"}).status_code == 400
    officer.post("/logout")
    assert officer.get(picture).status_code == 302  # signed out: to the sign-in page
