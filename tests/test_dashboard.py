"""The dashboard's figures by their definitions, its filters, sorting and bad input."""

from datetime import date, datetime, timedelta

import pytest

from ocop.checks.record import record
from ocop.dashboard import assemble, sentences, sources
from ocop.dashboard.figures import Figure, Filters, short_of
from ocop.extensions import db
from ocop.localtime import local_date
from ocop.models import AuditEntry, CheckRun, Listing, Marketplace, utcnow
from ocop.numbers import grouped
from scrapers.model import Result, Target
from tests.conftest import make_product, producer_named
from tests.helpers import HTMX, assert_fragment, assert_full_page


def listing(product, slug: str, n: int, **fields) -> Listing:
    """A listing of `product` on the seeded marketplace `slug` (not committed)."""
    marketplace = db.session.scalar(db.select(Marketplace).filter_by(slug=slug))
    url = f"https://{slug}.vn/sp-{n}"
    item = Listing(product=product, marketplace=marketplace, url=url, canonical_url=url,
                   item_id=f"x{n}", **fields)
    db.session.add(item)
    return item


@pytest.fixture
def province(app):
    """Six products of two producers, one of each kind the definitions tell apart."""
    now = utcnow()
    today = now.date()
    with app.app_context():
        tea, ham = producer_named("HTX Chè Hướng Tâm"), producer_named("HTX Sơn Hòa")
        live = make_product("P-1", "Chè đang bán", tea, category=2, stars=4)
        sold_out = make_product("P-2", "Chè hết hàng", tea, category=2)
        stale = make_product("P-3", "Khẩu nhục lâu chưa xác minh", ham)
        make_product("P-4", "Lạp sườn chưa có gian hàng", ham,
                     certified_on=today - timedelta(days=1000),
                     expires_on=today + timedelta(days=30))
        expired = make_product("P-5", "Măng khô hết hạn", ham,
                               certified_on=date(2020, 1, 1), expires_on=date(2023, 1, 1))
        make_product("P-6", "Miến đã thu hồi", ham, withdrawn=True)
        listing(live, "postmart", 1, status="active", verified_at=now, last_checked_at=now)
        listing(live, "shopee", 2, status="active", verified_at=now, last_checked_at=now,
                approved=False)  # a proposal counts for nothing
        listing(sold_out, "postmart", 3, status="out_of_stock", verified_at=now,
                last_checked_at=now)
        listing(stale, "voso", 4, status="active", verified_at=now - timedelta(days=50),
                last_checked_at=now, last_verdict="blocked")
        listing(expired, "tiki", 5, status="active", verified_at=now, last_checked_at=now)
        db.session.commit()


def test_the_headline_follows_the_definitions(app, officer, province):
    page = assert_full_page(officer.get("/dashboard/"), "figures")
    assert "2/4 sản phẩm còn hiệu lực" in page.find(id="share-online").text
    assert "50,0%" in page.find(id="share-online").text
    assert "1/4 sản phẩm còn hiệu lực" in page.find(id="share-buyable").text
    other = page.find(id="other-figures").text
    assert "Chủ thể có gian hàng trên sàn: 1/2" in other
    assert "Sản phẩm chưa có gian hàng nào: 1" in other
    assert "Gian hàng quá hạn xác minh: 1" in other
    summary = page.find(id="summary").blockquote.text
    with app.app_context():
        today = local_date(utcnow())
    assert summary.startswith(f"Tính đến ngày {today:%d/%m/%Y}, toàn tỉnh có 4 sản phẩm "
                              "OCOP còn hiệu lực (1 sản phẩm 4 sao, 3 sản phẩm 3 sao); 2/4 sản "
                              "phẩm có gian hàng đang hoạt động trên sàn thương mại điện tử, "
                              "đạt 50,0%")
    assert "sàn Postmart: 2/4 (50,0%)" in summary and "sàn Voso: 0/4 (0,0%)" in summary


def test_breakdowns_link_to_the_product_list(officer, province):
    page = assert_full_page(officer.get("/dashboard/"), "figures")
    rows = {tr.td.text.strip(): tr for tr in page.find(id="by-category").select("tbody tr")}
    drinks = rows["Đồ uống"]
    assert "2/2" in drinks.text and "100,0%" in drinks.text
    assert drinks.a["href"] == "/products/?status=certified&category=2"
    kinds = page.find(id="by-producer_kind").select("tbody tr")
    assert [tr.td.text.strip() for tr in kinds] == ["Hợp tác xã"]
    assert "2/4" in kinds[0].text


def test_what_needs_a_human_loads_after_the_figures(officer, province):
    page = assert_full_page(officer.get("/dashboard/"), "attention")
    assert page.find(id="attention")["hx-get"] == "/dashboard/attention"
    attention = assert_fragment(officer.get("/dashboard/attention", headers=HTMX),
                                "attention").find(id="attention")
    assert "P-3" in attention.find(id="troubled").text
    assert "P-4" in attention.find(id="expiring").text
    misused = attention.find(id="misused").text
    assert "P-5" in misused and "P-1" not in misused


def test_filters_change_the_figures_and_the_address(officer, province):
    response = officer.get("/dashboard/?category=2&marketplace=postmart", headers=HTMX)
    html = assert_fragment(response, "figures")
    assert "2/2 sản phẩm còn hiệu lực" in html.find(id="share-online").text
    assert response.headers["HX-Push-Url"] == "/dashboard/?category=2&marketplace=postmart"
    # A link made before the group was called `category` here still filters by it.
    older = officer.get("/dashboard/?group=2&marketplace=postmart", headers=HTMX)
    assert older.headers["HX-Push-Url"] == "/dashboard/?category=2&marketplace=postmart"
    assert "thuộc nhóm Đồ uống" in html.find(id="summary").text
    commune = assert_fragment(officer.get("/dashboard/?commune=Mường+Khương", headers=HTMX),
                              "figures")
    assert "xã/phường Mường Khương có 2 sản phẩm" in commune.find(id="summary").text


def test_breakdowns_sort_by_share(officer, province):
    html = assert_fragment(officer.get("/dashboard/?sort=share&desc=1", headers=HTMX),
                           "figures")
    labels = [tr.td.text.strip() for tr in html.find(id="by-category").select("tbody tr")]
    assert labels == ["Đồ uống", "Thực phẩm"]


def test_a_needs_attention_list_shows_its_full_count_a_page_at_a_time(officer, app):
    with app.app_context():
        product = make_product("B-1", "Mật ong", producer_named("HTX Sơn Hòa"))
        for n in range(24):
            db.session.add(listing(product, "postmart", 500 + n, last_verdict="blocked",
                                   last_checked_at=utcnow()))
        db.session.commit()
    first = assert_fragment(officer.get("/dashboard/attention", headers=HTMX), "attention")
    assert "(24)" in first.find("h3").text
    assert len(first.find(id="troubled").find_all("li")) == 20
    more = first.find("a", rel="next")
    assert more.text.startswith("Xem thêm") and more["hx-target"] == "#attention"
    assert more["href"] == "/dashboard/attention?troubled=2"
    second = assert_fragment(officer.get(more["href"], headers=HTMX), "attention")
    assert len(second.find(id="troubled").find_all("li")) == 4
    assert "21–24 trong 24" in second.text and second.find("a", rel="next") is None
    # Opened on its own (a new tab, no htmx) the address is a whole page.
    assert_full_page(officer.get(more["href"]), "troubled")


@pytest.mark.parametrize("query, message", [
    ("group=9", "Giá trị “9” không dùng được cho bộ lọc Nhóm sản phẩm."),
    ("stars=abc", "Giá trị “abc” không dùng được cho bộ lọc Hạng sao."),
    ("marketplace=amazon", "Không có sàn “amazon”."),
    ("commune=Hà+Nội", "Không có chủ thể nào ở xã/phường “Hà Nội”."),
])
def test_bad_filters_get_a_message_not_a_500(officer, province, query, message):
    response = officer.get(f"/dashboard/?{query}", headers=HTMX)
    assert message in assert_fragment(response, "figures").text
    assert message in officer.get(f"/dashboard/?{query}").text


def test_a_bad_filter_is_named_in_english_too(officer, province):
    officer.post("/lang/en")
    text = officer.get("/dashboard/?group=9").text
    msg = [line for line in text.splitlines() if "“9”" in line]
    assert msg and "for the filter Product group." in msg[0]


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/attention"])
def test_only_officers_see_the_dashboard(client, producer_client, path):
    assert client.get(path).status_code == 302
    assert producer_client.get(path).status_code == 403


def test_percentages_are_computed_from_what_they_state():
    assert sentences.share(Figure(256, 267)) == "256/267"
    assert sentences.percent(Figure(256, 267)) == "95,9%"
    assert sentences.percent(Figure(160, 334)) == "47,9%"  # not the 60% a report once printed
    assert sentences.percent(Figure(0, 0)) == "—"
    assert grouped(12345) == "12.345"


def test_an_administrator_sets_the_target_and_the_dashboard_measures_it(admin, officer,
                                                                        province, app):
    assert "Chưa đặt mục tiêu." in officer.get("/dashboard/").text
    assert officer.get("/dashboard/target").status_code == 403
    form = assert_full_page(admin.get("/dashboard/target"), "target-form")
    assert form.find(id="share") is not None
    refused = admin.post("/dashboard/target", data={"share": "120", "due_on": ""})
    assert "Số phải từ 0.1 đến 100." in refused.text
    response = admin.post("/dashboard/target", data={"share": "100", "due_on": "2026-12-31",
                                                     "note": "Kế hoạch OCOP 2026"})
    assert response.status_code == 303
    target = assert_full_page(officer.get("/dashboard/"), "target").find(id="target").text
    assert "100%" in target and "31/12/2026" in target
    assert "còn thiếu 2 sản phẩm" in target  # 2/4 online: two more to reach 100%
    with app.app_context():
        entry = db.session.scalar(db.select(AuditEntry).filter_by(entity="target"))
        assert entry.actor == "admin@example.vn" and entry.changes["share"] == [None, 100.0]


def test_a_stale_edit_of_the_target_is_refused(admin):
    admin.post("/dashboard/target", data={"share": "90"})
    page = admin.post("/dashboard/target", data={"share": "95", "version": "0"})
    assert "vừa được người khác sửa" in page.text


def test_short_of_counts_whole_products():
    assert short_of(100, Figure(256, 267)) == 11
    assert short_of(96, Figure(256, 267)) == 1  # 96% of 267 is 256.32: one more product
    assert short_of(50, Figure(256, 267)) == 0


def test_dates_go_by_the_province_calendar(app):
    with app.app_context():
        assert local_date(datetime(2026, 11, 30, 16, 59)) == date(2026, 11, 30)
        assert local_date(datetime(2026, 11, 30, 17, 0)) == date(2026, 12, 1)  # 00:00 in Hà Nội


def test_figures_as_they_stood_on_a_past_date_come_from_the_check_history(app):
    """Checks recorded through the real rules at chosen times, then the share as of each day."""
    now = utcnow().replace(microsecond=0)
    day = timedelta(days=1)
    with app.app_context():
        producer = producer_named("HTX Chè Hướng Tâm")
        names = ("checked lately", "checked long ago", "removed lately", "sold out")
        products = [make_product(f"H-{n}", name, producer, certified_on=date(2024, 1, 1))
                    for n, name in enumerate(names)]
        items = [listing(product, "postmart", n) for n, product in enumerate(products)]
        db.session.commit()
        target = {item.id: Target(item.id, item.canonical_url, "postmart", "postmart",
                                  frozenset()) for item in items}

        def seen(item, verdict, when, phase=1):
            """One check of `item` at `when`, in a run of its own (a month's run, say)."""
            run = CheckRun(scope="all", origin="test", degraded=[])
            db.session.add(run)
            db.session.commit()
            record(run.id, [Result(target[item.id], verdict, {"rule": "test"}, when)],
                   phase=phase, degraded=set(), confirm_after=timedelta(0))

        seen(items[0], "active", now - 10 * day)
        seen(items[1], "active", now - 60 * day)
        seen(items[2], "active", now - 20 * day)
        seen(items[2], "removed", now - 5 * day)
        seen(items[2], "removed", now - 4 * day, phase=2)  # confirmed
        seen(items[3], "out_of_stock", now - 3 * day)

        def share(when, history=True):
            cells = sources.Live(when, replay=history).cells(Filters())
            return (sum(c.counted for c in cells), sum(c.online for c in cells),
                    sum(c.buyable for c in cells))

        assert share(now) == (4, 2, 1)  # lately checked, sold out (online, not buyable)
        assert share(now, history=False) == share(now)  # history and statuses agree today
        assert share(now - 6 * day) == (4, 2, 2)  # before the removal; before the sell-out
        assert share(now - 25 * day) == (4, 1, 1)  # only the one checked 60 days ago...
        assert share(now - 100 * day) == (4, 0, 0)  # ...which was not checked yet
        past = sources.Live(now - 6 * day, replay=True)
        assert [r.online.part for r in assemble.by_marketplace(past, Filters(), 4)
                if r.key == "postmart"] == [2]
