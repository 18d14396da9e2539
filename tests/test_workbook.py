"""Importing the province's workbook: whole-file validation, then all or nothing."""

from datetime import date, datetime

import pytest

from ocop.audit import acting_as
from ocop.extensions import db
from ocop.models import AuditEntry, Listing, Marketplace
from ocop.workbook.apply import apply
from ocop.workbook.validate import validate

from .conftest import make_product, producer_named
from .workbooks import (
    LISTING_HEADERS,
    PRODUCT_HEADERS,
    SAMPLE_LISTINGS,
    SAMPLE_PRODUCTS,
    counts,
    product,
    product_row,
    sample_workbook,
    write_csv,
    write_xlsx,
)


def run(app, path, name=None):
    """Validate and, when the file is clean, apply it; return the plan."""
    with app.app_context():
        plan = validate(path, name)
        if plan.ok:
            with acting_as("test"):
                apply(plan)
        return plan


def problems(plan) -> list[tuple]:
    """The problems as (sheet, row, column, value) tuples."""
    return [(p.sheet, p.row, p.column, p.value) for p in plan.problems]


def test_import_creates_producers_products_and_listings(app, tmp_path):
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx"))
    assert plan.ok, plan.problems
    assert plan.counts() == {"producers_new": 3, "producers_changed": 0, "products_new": 3,
                             "products_changed": 0, "products_unchanged": 0,
                             "listings_new": 3, "listings_unchanged": 0}
    with app.app_context():
        buoi = product("LC-101")
        assert buoi.name == "Quả bưởi Múc" and buoi.stars == 3 and buoi.category == 1
        assert buoi.certified_on == date(2021, 12, 15)
        assert buoi.expires_on == date(2024, 12, 15)  # empty: 36 months after certification
        assert buoi.decision_no == "4261/QĐ-UBND"
        assert buoi.search_text == "lc-101 qua buoi muc"
        assert buoi.producer.kind == "htx" and buoi.producer.tax_code == "5300111111"
        assert buoi.producer.commune == "Thái Niên" and buoi.producer.province == "Lào Cai"
        assert product("LC-103").producer.kind == "doanh_nghiep"
        assert product("LC-103").certified_on == date(2021, 12, 15)  # an Excel date cell
        assert sorted(x.item_id for x in buoi.listings) == ["100.200", "3001"]
        assert all(x.approved for x in buoi.listings)
        audit = db.session.scalars(db.select(AuditEntry).where(AuditEntry.actor == "test"))
        kinds = sorted((a.entity, a.action) for a in audit)
        assert kinds == [("listing", "create")] * 3 + [("producer", "create")] * 3 + [
            ("product", "create")] * 3
        entry = db.session.scalar(db.select(AuditEntry).where(
            AuditEntry.entity == "product", AuditEntry.entity_id == buoi.id))
        assert entry.changes["code"] == [None, "LC-101"]
        assert entry.changes["expires_on"] == [None, "2024-12-15"]
        assert entry.label == "LC-101 – Quả bưởi Múc"


def test_reimporting_the_same_file_changes_nothing(app, tmp_path):
    path = sample_workbook(tmp_path / "tinh.xlsx")
    run(app, path)
    with app.app_context():
        before = counts()
    plan = run(app, path)
    assert plan.ok and not plan.changes_anything
    assert plan.counts()["products_unchanged"] == 3
    assert plan.counts()["listings_unchanged"] == 3
    with app.app_context():
        assert counts() == before


def test_updates_go_through_the_audit_trail(app, tmp_path):
    run(app, sample_workbook(tmp_path / "a.xlsx"))
    rows = [product_row(stars=4, name="Bưởi Múc", commune="Xã Thái Niên"), *SAMPLE_PRODUCTS[1:]]
    plan = run(app, sample_workbook(tmp_path / "b.xlsx", products=rows))
    assert plan.counts()["products_changed"] == 1
    assert plan.counts()["producers_changed"] == 1
    with app.app_context():
        buoi = product("LC-101")
        assert buoi.stars == 4 and buoi.version == 2
        assert buoi.search_text == "lc-101 buoi muc"
        assert buoi.producer.commune == "Xã Thái Niên"
        entry = db.session.scalar(db.select(AuditEntry).where(
            AuditEntry.entity == "product", AuditEntry.action == "update"))
        assert entry.changes == {"name": ["Quả bưởi Múc", "Bưởi Múc"], "stars": [3, 4]}


def test_existing_products_and_producers_are_matched(app, catalogue, tmp_path):
    rows = [product_row("lc-001", "Chè Bát tiên Hướng Tâm", "HTX CHÈ HƯỚNG TÂM", tax_code="",
                        kind="", commune="", province="", category=2, stars=5,
                        decision_no="", certified_on="01/06/2024", expires_on="01/06/2027")]
    plan = run(app, write_xlsx(tmp_path / "a.xlsx", {"Sản phẩm": [PRODUCT_HEADERS, *rows]}))
    assert plan.ok, plan.problems
    assert plan.counts()["products_changed"] == 1 and plan.counts()["producers_new"] == 0
    assert plan.products_changed[0].changes == {"stars": [4, 5]}
    with app.app_context():
        assert product("LC-001").stars == 5
        assert product("LC-001").producer.tax_code == "5300123456"  # empty cell: kept


def test_a_product_can_move_to_a_producer_the_file_creates(app, catalogue, tmp_path):
    rows = [product_row("LC-003", "Khẩu nhục Mường Khương", "HTX Mới", tax_code="5300999999",
                        certified_on="01/06/2024", expires_on="01/06/2027")]
    plan = run(app, write_xlsx(tmp_path / "a.xlsx", {"Sản phẩm": [PRODUCT_HEADERS, *rows]}))
    assert plan.ok, plan.problems
    with app.app_context():
        assert product("LC-003").producer.name == "HTX Mới"


def test_one_bad_row_writes_nothing(app, tmp_path):
    rows = [*SAMPLE_PRODUCTS, product_row("LC-104", "Mận Tam hoa", stars=6)]
    with app.app_context():
        before = counts()
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx", products=rows))
    assert not plan.ok
    assert problems(plan) == [("Sản phẩm", 5, "Số sao", "6")]
    assert plan.problems[0].message == "Số sao phải từ 3 đến 5."
    with app.app_context():
        assert counts() == before


def test_a_large_import_refreshes_the_planner_statistics(app, tmp_path, monkeypatch):
    from ocop.workbook import apply as applying

    monkeypatch.setattr(applying, "ANALYZE_AFTER", 5)
    assert run(app, sample_workbook(tmp_path / "tinh.xlsx")).ok
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tables = set(db.session.scalars(db.text("SELECT tbl FROM sqlite_stat1")))
            assert {"producers", "products", "listings"} <= tables
        else:
            analyzed = db.session.scalar(db.text(
                "SELECT count(*) FROM pg_stats WHERE tablename = 'listings'"))
            assert analyzed > 0


def test_a_failure_while_writing_leaves_nothing_behind(app, tmp_path, monkeypatch):
    from ocop.workbook import apply as applying

    def broken(plan, user_id):
        raise RuntimeError("disk full")

    monkeypatch.setattr(applying, "create_listings", broken)
    with app.app_context():
        before = counts()
        plan = validate(sample_workbook(tmp_path / "tinh.xlsx"))
        with pytest.raises(RuntimeError):
            apply(plan)
        assert counts() == before


def test_a_clash_found_only_while_writing_writes_nothing(app, catalogue, tmp_path):
    from ocop.workbook.apply import ApplyConflict

    with app.app_context():
        plan = validate(sample_workbook(tmp_path / "tinh.xlsx"))
        # Someone saves a listing of the same Shopee item before the import writes.
        make_product("LC-900", "Bưởi khác", producer_named("HTX Sơn Hòa"))
        db.session.flush()
        shopee = db.session.scalar(db.select(Marketplace).filter_by(slug="shopee"))
        db.session.add(Listing(product=product("LC-900"), marketplace=shopee, url="x",
                               canonical_url="x", item_id="100.200"))
        db.session.commit()
        before = counts()
        with pytest.raises(ApplyConflict):
            apply(plan)
        assert counts() == before


BAD_PRODUCTS = [
    ("stars", product_row(stars=2), "Số sao", "2", "Số sao phải từ 3 đến 5."),
    ("stars text", product_row(stars="nhiều"), "Số sao", "nhiều", "Số sao phải từ 3 đến 5."),
    ("group", product_row(category="Điện tử"), "Nhóm sản phẩm", "Điện tử",
     "Không có nhóm sản phẩm “Điện tử”"),
    ("group number", product_row(category=7), "Nhóm sản phẩm", "7", "Không có nhóm sản phẩm"),
    ("expiry", product_row(certified_on="01/06/2024", expires_on="01/06/2023"), "Ngày hết hạn",
     "01/06/2023", "Ngày hết hạn phải sau ngày công nhận."),
    ("date", product_row(certified_on="31/02/2024"), "Ngày công nhận", "31/02/2024",
     "Ngày không hợp lệ"),
    ("empty name", product_row(name=""), "Tên sản phẩm", "", "Ô này không được để trống."),
    ("code", product_row(code="LC 101"), "Mã sản phẩm", "LC 101", "Mã sản phẩm chỉ dùng"),
    ("kind", product_row(kind="Hội"), "Loại hình chủ thể", "Hội", "Không rõ loại hình"),
    ("formula", product_row(stars="=2+2"), "Số sao", "=2+2", "Ô chứa công thức"),
    ("formula text", product_row(name="=HYPERLINK(\"http://x\")"), "Tên sản phẩm",
     "=HYPERLINK(\"http://x\")", "Ô chứa công thức"),
]


@pytest.mark.parametrize("case", BAD_PRODUCTS, ids=[c[0] for c in BAD_PRODUCTS])
def test_bad_product_cells_are_named_with_sheet_row_column_and_value(app, tmp_path, case):
    _name, row, column, value, message = case
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx", products=[row], listings=[]))
    assert problems(plan) == [("Sản phẩm", 2, column, value)]
    assert plan.problems[0].message.startswith(message)
    with app.app_context():
        assert counts()["Product"] == 0


def test_a_new_producer_needs_a_kind(app, tmp_path):
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx", products=[product_row(kind="")],
                                    listings=[]))
    assert problems(plan) == [("Sản phẩm", 2, "Loại hình chủ thể", "")]
    assert "cần loại hình" in plan.problems[0].message


def without_kind_column(rows: list[list]) -> list[list]:
    """The products sheet without its "Loại hình chủ thể" column."""
    drop = PRODUCT_HEADERS.index("Loại hình chủ thể")
    return [row[:drop] + row[drop + 1:] for row in [PRODUCT_HEADERS, *rows]]


@pytest.mark.parametrize(("producer", "kind"), [
    ("HTX Bưởi Múc Thái Niên", "htx"), ("Hợp tác xã chè Hướng Tâm", "htx"),
    ("Công ty Cổ phần Phong Hải Lào Cai", "doanh_nghiep"),
    ("Doanh nghiệp tư nhân Đức Thành", "doanh_nghiep"),
    ("Hộ kinh doanh Lò Văn Sáng", "ho_kinh_doanh"), ("Tổ hợp tác Lê Nậm Pung", "to_hop_tac"),
    ("Tổ hợp tác sản xuất Cốm thôn Na Lo", "to_hop_tac"),
])
def test_without_a_kind_column_a_new_producers_kind_comes_from_its_name(app, tmp_path,
                                                                        producer, kind):
    rows = without_kind_column([product_row(producer=producer, kind=None)])
    plan = run(app, write_xlsx(tmp_path / "a.xlsx", {"Sản phẩm": rows}))
    assert plan.ok, plan.problems
    with app.app_context():
        assert product("LC-101").producer.kind == kind


def test_without_a_kind_column_a_name_that_says_no_kind_names_the_missing_column(app,
                                                                                  tmp_path):
    rows = without_kind_column([product_row(producer="Bà Lò Thị Mai", kind=None)])
    plan = run(app, write_xlsx(tmp_path / "a.xlsx", {"Sản phẩm": rows}))
    assert problems(plan) == [("Sản phẩm", 2, "Loại hình chủ thể", "")]
    message = plan.problems[0].message
    assert "không có cột “Loại hình chủ thể”" in message and "Bà Lò Thị Mai" in message
    with app.app_context():
        assert counts()["Producer"] == 2  # the two of the test setup: nothing was written


def test_duplicate_code_within_the_file(app, tmp_path):
    rows = [product_row(), product_row(name="Bưởi khác")]
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx", products=rows, listings=[]))
    assert problems(plan) == [("Sản phẩm", 3, "Mã sản phẩm", "LC-101")]
    assert plan.problems[0].message == "Mã sản phẩm LC-101 trùng với dòng 2."


def test_a_tax_code_belongs_to_one_producer(app, catalogue, tmp_path):
    rows = [product_row(producer="HTX Khác", tax_code="5300123456")]
    plan = run(app, sample_workbook(tmp_path / "a.xlsx", products=rows, listings=[]))
    assert problems(plan) == [("Sản phẩm", 2, "Mã số thuế", "5300123456")]
    assert plan.problems[0].message == "Mã số thuế 5300123456 đã thuộc về HTX Chè Hướng Tâm."
    rows = [product_row(), product_row("LC-102", producer="HTX Khác")]
    plan = run(app, sample_workbook(tmp_path / "b.xlsx", products=rows, listings=[]))
    assert problems(plan) == [("Sản phẩm", 3, "Mã số thuế", "5300111111")]


def test_conflicting_producer_details_within_the_file(app, tmp_path):
    rows = [product_row(), product_row("LC-102", commune="Bắc Hà")]
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx", products=rows, listings=[]))
    assert problems(plan) == [("Sản phẩm", 3, "Xã/Phường", "Bắc Hà")]
    assert "dòng 2 ghi “Thái Niên”" in plan.problems[0].message


def test_an_ambiguous_producer_name_asks_for_the_tax_code(app, tmp_path):
    with app.app_context(), acting_as("test"):
        from .conftest import make_producer

        make_producer("HTX Sơn Hải", tax_code="1")
        make_producer("HTX Sơn Hải", tax_code="2")
        db.session.commit()
    rows = [product_row(producer="HTX Son Hai", tax_code="")]
    plan = run(app, sample_workbook(tmp_path / "a.xlsx", products=rows, listings=[]))
    assert problems(plan) == [("Sản phẩm", 2, "Chủ thể", "HTX Son Hai")]
    assert "mã số thuế" in plan.problems[0].message
    rows = [product_row(producer="HTX Son Hai", tax_code="2")]
    assert run(app, sample_workbook(tmp_path / "b.xlsx", products=rows, listings=[])).ok


BAD_LISTINGS = [
    ("malformed", ["LC-101", "", "http://"], "Đường dẫn", "Đường dẫn không hợp lệ."),
    ("scheme", ["LC-101", "", "ftp://shopee.vn/x-i.1.2"], "Đường dẫn", "Chỉ chấp nhận"),
    ("foreign", ["LC-101", "", "https://example.com/p/1"], "Đường dẫn",
     "Tên miền example.com không thuộc sàn nào đã đăng ký."),
    ("not an item", ["LC-101", "", "https://shopee.vn/search?q=buoi"], "Đường dẫn",
     "Đường dẫn không trỏ tới một trang sản phẩm của Shopee"),
    ("wrong marketplace", ["LC-101", "Tiki", "https://shopee.vn/x-i.1.2"], "Đường dẫn",
     "Tên miền shopee.vn thuộc sàn Shopee, không phải Tiki."),
    ("unknown marketplace", ["LC-101", "Amazon", "https://shopee.vn/x-i.1.2"], "Sàn",
     "Không có sàn “Amazon”"),
    ("unknown product", ["LC-999", "", "https://shopee.vn/x-i.1.2"], "Mã sản phẩm",
     "Không có sản phẩm mã LC-999"),
    ("formula", ["LC-101", "", "=HYPERLINK(\"https://shopee.vn/x-i.1.2\")"], "Đường dẫn",
     "Ô chứa công thức"),
]


@pytest.mark.parametrize("case", BAD_LISTINGS, ids=[c[0] for c in BAD_LISTINGS])
def test_bad_listing_rows_are_refused(app, tmp_path, case):
    _name, row, column, message = case
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx", listings=[row]))
    assert [(p.sheet, p.row, p.column) for p in plan.problems] == [("Gian hàng", 2, column)]
    assert plan.problems[0].message.startswith(message), plan.problems[0].message
    with app.app_context():
        assert counts()["Product"] == 0


def test_the_same_listing_twice_in_the_file(app, tmp_path):
    listings = [["LC-101", "", "https://shopee.vn/a-i.1.2"],
                ["LC-102", "", "https://shopee.vn/product/1/2?utm_source=zalo"]]
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx", listings=listings))
    assert problems(plan) == [("Gian hàng", 3, "Đường dẫn",
                               "https://shopee.vn/product/1/2?utm_source=zalo")]
    assert plan.problems[0].message == "Gian hàng này đã có ở dòng 2."


def test_a_listing_of_another_product_is_refused_and_of_the_same_is_unchanged(
        app, catalogue, tmp_path):
    listings = [["LC-003", "", "https://shopee.vn/che-i.1.2"]]
    plan = run(app, write_xlsx(tmp_path / "a.xlsx", {"Gian hàng": [LISTING_HEADERS, *listings]}))
    assert problems(plan) == [("Gian hàng", 2, "Đường dẫn", "https://shopee.vn/che-i.1.2")]
    assert plan.problems[0].message == (
        "Gian hàng này đã được gắn với sản phẩm LC-001 – Chè Bát tiên Hướng Tâm.")
    listings = [["lc-001", "shopee", "https://shopee.vn/product/1/2"]]
    plan = run(app, write_xlsx(tmp_path / "b.xlsx", {"Gian hàng": [LISTING_HEADERS, *listings]}))
    assert plan.ok and plan.counts()["listings_unchanged"] == 1 and not plan.changes_anything


def test_a_listing_row_for_a_product_with_problems_is_not_reported_twice(app, tmp_path):
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx",
                                    products=[product_row(stars=9)]))
    assert [p.sheet for p in plan.problems] == ["Sản phẩm", "Gian hàng"]  # LC-102 is unknown
    assert plan.problems[1].value == "LC-102"


def test_a_disabled_marketplace_takes_no_new_listings(app, tmp_path):
    with app.app_context():
        db.session.scalar(db.select(Marketplace).filter_by(slug="tiki")).enabled = False
        db.session.commit()
    plan = run(app, sample_workbook(tmp_path / "tinh.xlsx"))
    assert problems(plan) == [("Gian hàng", 3, "Đường dẫn", "https://tiki.vn/buoi-muc-p3001.html")]
    assert "tạm ngừng" in plan.problems[0].message


def test_missing_and_duplicated_columns(app, tmp_path):
    headers = [h for h in PRODUCT_HEADERS if h != "Số sao"] + ["Tên SP"]
    plan = run(app, write_xlsx(tmp_path / "a.xlsx", {"Sản phẩm": [headers, ["LC-1"]]}))
    assert problems(plan) == [("Sản phẩm", 1, "Tên SP", ""), ("Sản phẩm", None, "Số sao", "")]
    assert plan.problems[1].message == "Thiếu cột “Số sao”."


def test_headers_ignore_case_and_diacritics_and_take_english_aliases(app, tmp_path):
    headers = ["MA SAN PHAM", "ten san pham", "Producer", "producer kind", "Tax code",
               "xa/phuong", "PROVINCE", "Category", "STARS", "decision no", "certified on",
               "expiry date"]
    listing_headers = ["code", "Marketplace", "URL", "Tình trạng"]
    rows = [["LC-201", "Mận Tam hoa sấy dẻo", "HTX Quang Tom", "hợp tác xã", 5300444444,
             "Quang Kim", "Lào Cai", 1, "4 sao", "12/QĐ-UBND", 44561, None]]
    path = write_xlsx(tmp_path / "en.xlsx", {
        "Products": [headers, *rows],
        "listings": [listing_headers, ["lc-201", "TIKI", "tiki.vn/man-p42.html", "Đang bán"]],
        "Ghi chú": [["Tệp mẫu"]],
    })
    plan = run(app, path)
    assert plan.ok, plan.problems
    with app.app_context():
        man = product("LC-201")
        assert man.stars == 4 and man.producer.tax_code == "5300444444"
        assert man.certified_on == date(2021, 12, 31)  # Excel serial number 44561
        assert [x.item_id for x in man.listings] == ["42"]


def test_sheets_are_recognised_by_headers_when_names_differ(app, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Danh sách 2024": [PRODUCT_HEADERS, product_row()],
                                            "Sàn TMĐT": [LISTING_HEADERS, SAMPLE_LISTINGS[0]]})
    plan = run(app, path)
    assert plan.ok and plan.counts()["listings_new"] == 1


@pytest.mark.parametrize("value", ["15/12/2021", "15-12-2021", "15.12.2021", "2021-12-15",
                                   datetime(2021, 12, 15), date(2021, 12, 15), 44545])
def test_dates(app, tmp_path, value):
    plan = run(app, sample_workbook(tmp_path / "a.xlsx", listings=[],
                                    products=[product_row(certified_on=value)]))
    assert plan.ok, plan.problems
    with app.app_context():
        assert product("LC-101").certified_on == date(2021, 12, 15)


@pytest.mark.parametrize(("value", "number"), [
    ("Thực phẩm", 1), ("thuc pham", 1), ("Đồ uống", 2), ("Dược liệu và sản phẩm từ dược liệu", 3),
    ("Thảo dược", 3), ("Vải và may mặc", 4), ("Lưu niệm - nội thất - trang trí", 4),
    ("Hàng thủ công mỹ nghệ", 4), ("Sinh vật cảnh", 5), ("Dịch vụ du lịch nông thôn, bán hàng", 6),
    ("6", 6), (5.0, 5), ("3 - Dược liệu", 3)])
def test_product_groups_of_both_decisions(app, tmp_path, value, number):
    plan = run(app, sample_workbook(tmp_path / "a.xlsx", listings=[],
                                    products=[product_row(category=value)]))
    assert plan.ok, plan.problems
    with app.app_context():
        assert product("LC-101").category == number


@pytest.mark.parametrize(("value", "kind"), [
    ("HTX", "htx"), ("Hợp tác xã", "htx"), ("Doanh nghiệp", "doanh_nghiep"),
    ("Công ty TNHH MTV", "doanh_nghiep"), ("Hộ kinh doanh", "ho_kinh_doanh"),
    ("to hop tac", "to_hop_tac"), ("ho_kinh_doanh", "ho_kinh_doanh")])
def test_producer_kinds(app, tmp_path, value, kind):
    plan = run(app, sample_workbook(tmp_path / "a.xlsx", listings=[],
                                    products=[product_row(kind=value)]))
    assert plan.ok, plan.problems
    with app.app_context():
        assert product("LC-101").producer.kind == kind


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_of_products_then_csv_of_listings(app, tmp_path, delimiter):
    products = write_csv(tmp_path / "sp.csv", [PRODUCT_HEADERS, *SAMPLE_PRODUCTS], delimiter)
    plan = run(app, products)
    assert plan.ok, plan.problems
    assert plan.counts()["products_new"] == 3
    listings = write_csv(tmp_path / "gh.csv", [LISTING_HEADERS, *SAMPLE_LISTINGS], delimiter)
    plan = run(app, listings)
    assert plan.ok, plan.problems
    assert plan.counts()["listings_new"] == 3
    with app.app_context():
        assert counts()["Listing"] == 3
        assert product("LC-103").certified_on == date(2021, 12, 15)


def test_csv_separator_is_judged_by_the_header_line(app, tmp_path):
    run(app, write_csv(tmp_path / "sp.csv", [PRODUCT_HEADERS, *SAMPLE_PRODUCTS]))
    rows = [LISTING_HEADERS, ["LC-101", "", "https://tiki.vn/tra,sen;hop-p77.html"],
            ["LC-102", "", "https://tiki.vn/a,b,c,d,e,f-p78.html"]]
    plan = run(app, write_csv(tmp_path / "gh.csv", rows, ";"))
    assert plan.ok, plan.problems
    assert plan.counts()["listings_new"] == 2


def test_csv_problems_name_the_file_as_the_sheet(app, tmp_path):
    path = write_csv(tmp_path / "sp.csv", [PRODUCT_HEADERS, product_row(stars=1)])
    plan = run(app, path)
    assert problems(plan) == [("sp.csv", 2, "Số sao", "1")]


def test_a_csv_formula_is_refused(app, tmp_path):
    path = write_csv(tmp_path / "gh.csv", [LISTING_HEADERS, ["=1+1", "", "https://tiki.vn/a-p1.html"]])
    plan = run(app, path)
    assert problems(plan) == [("gh.csv", 2, "Mã sản phẩm", "=1+1")]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("a.xlsx", b"not a zip at all", "không phải là một bảng tính Excel"),
    ("a.csv", b"M\xe3 s\xe3n ph\xe2m;T\xean\nLC-1;B\xfd\n", "UTF-8"),  # Windows-1258
    ("a.csv", b"a,b,c\n1,2,3\n", "Không nhận ra bảng"),
    ("a.pdf", b"%PDF-1.4", "Chỉ nhận tệp Excel .xlsx hoặc tệp .csv."),
])
def test_unreadable_files(app, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    plan = run(app, path)
    assert not plan.ok
    assert message in plan.problems[0].message
    assert plan.problems[0].sheet == name


def test_a_zip_that_is_no_workbook(app, tmp_path):
    import zipfile

    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    plan = run(app, path)
    assert "không phải là một bảng tính Excel" in plan.problems[0].message


def test_a_zip_bomb_is_refused_before_it_is_unpacked(app, tmp_path, monkeypatch):
    from ocop.workbook import read

    monkeypatch.setattr(read, "MAX_UNPACKED", 1000)
    plan = run(app, sample_workbook(tmp_path / "a.xlsx"))
    assert "giải nén ra quá lớn" in plan.problems[0].message


def test_a_workbook_without_known_sheets(app, tmp_path):
    plan = run(app, write_xlsx(tmp_path / "a.xlsx", {"Sheet1": [["a", "b"], [1, 2]]}))
    assert "Không tìm thấy trang tính" in plan.problems[0].message


def test_guarded_cells_lose_their_guard(app, tmp_path):
    rows = [product_row(name="'=Bưởi", decision_no="'-12/QĐ")]
    plan = run(app, sample_workbook(tmp_path / "a.xlsx", products=rows, listings=[]))
    assert plan.ok, plan.problems
    with app.app_context():
        assert product("LC-101").name == "=Bưởi"
        assert product("LC-101").decision_no == "-12/QĐ"


def test_a_listing_may_name_a_product_only_the_registry_has(app, catalogue, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Gian hàng": [
        LISTING_HEADERS, ["LC-003", "Lazada", "https://www.lazada.vn/products/kn-i55-s66.html"]]})
    assert run(app, path).ok
    with app.app_context():
        listing = db.session.scalar(db.select(Listing).filter_by(item_id="55"))
        assert listing.product.code == "LC-003"


def test_validation_stops_after_the_error_limit(app, tmp_path):
    rows = [product_row(f"LC-{n}", stars=1) for n in range(1200)]
    plan = run(app, sample_workbook(tmp_path / "a.xlsx", products=rows, listings=[]))
    assert plan.problem_count == 200 and len(plan.problems) == 200 and plan.stopped
    assert plan.problems[-1].row == 201  # the rows after it were not read


def test_existing_expiry_is_kept_when_the_file_has_no_expiry_column(app, catalogue, tmp_path):
    with app.app_context():
        make_product("LC-009", "Cốm Na Lo", producer_named("HTX Sơn Hòa"),
                     certified_on=date(2024, 1, 1), expires_on=date(2026, 1, 1))
        db.session.commit()
    headers = [h for h in PRODUCT_HEADERS if h != "Ngày hết hạn"]
    row = product_row("LC-009", "Cốm Na Lo", "HTX Sơn Hòa", tax_code="5300654321",
                      commune="Mường Khương", certified_on="01/01/2024")[:-1]
    plan = run(app, write_xlsx(tmp_path / "a.xlsx", {"Sản phẩm": [headers, row]}))
    assert plan.ok, plan.problems
    with app.app_context():
        assert product("LC-009").expires_on == date(2026, 1, 1)


def test_overlong_cells(app, tmp_path):
    plan = run(app, sample_workbook(tmp_path / "a.xlsx", listings=[],
                                    products=[product_row(name="Bưởi " * 60)]))
    assert [(p.column, p.message) for p in plan.problems] == [
        ("Tên sản phẩm", "Dài quá 255 ký tự.")]
    listings = [["LC-101", "", "https://tiki.vn/a-p" + "1" * 600 + ".html"]]
    plan = run(app, sample_workbook(tmp_path / "b.xlsx", listings=listings))
    assert [(p.column, p.message) for p in plan.problems] == [("Đường dẫn", "Đường dẫn quá dài.")]


def test_a_kept_expiry_must_still_follow_the_certification(app, catalogue, tmp_path):
    headers = [h for h in PRODUCT_HEADERS if h != "Ngày hết hạn"]
    row = product_row("LC-003", "Khẩu nhục Mường Khương", "HTX Sơn Hòa", tax_code="5300654321",
                      commune="Mường Khương", certified_on="01/01/2030")[:-1]
    plan = run(app, write_xlsx(tmp_path / "a.xlsx", {"Sản phẩm": [headers, row]}))
    assert problems(plan) == [("Sản phẩm", 2, "Ngày công nhận", "01/01/2030")]


def test_a_new_tax_code_cannot_choose_between_namesakes(app, tmp_path):
    with app.app_context(), acting_as("test"):
        from .conftest import make_producer

        make_producer("HTX Sơn Hải")
        make_producer("HTX Sơn Hải", commune="Bắc Hà")
        db.session.commit()
    rows = [product_row(producer="HTX Sơn Hải", tax_code="5300777777")]
    plan = run(app, sample_workbook(tmp_path / "a.xlsx", products=rows, listings=[]))
    assert problems(plan) == [("Sản phẩm", 2, "Chủ thể", "HTX Sơn Hải")]


def test_a_product_deleted_before_writing_stops_the_import(app, catalogue, tmp_path):
    from ocop.workbook.apply import ApplyConflict

    rows = [product_row("LC-003", "Khẩu nhục", "HTX Sơn Hòa", tax_code="5300654321",
                        commune="Mường Khương", certified_on="01/06/2024",
                        expires_on="01/06/2027")]
    with app.app_context():
        plan = validate(sample_workbook(tmp_path / "a.xlsx", products=rows, listings=[]))
        assert plan.counts()["products_changed"] == 1
        db.session.delete(product("LC-003"))
        db.session.commit()
        before = counts()
        with pytest.raises(ApplyConflict):
            apply(plan)
        assert counts() == before
