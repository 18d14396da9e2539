"""Exporting the workbook, and importing the export back without a single change."""

import csv
from datetime import date, datetime

from openpyxl import load_workbook

from ocop.audit import acting_as
from ocop.extensions import db
from ocop.models import Listing
from ocop.workbook.apply import apply
from ocop.workbook.export import export, listings_csv_path
from ocop.workbook.validate import validate

from .conftest import make_product, producer_named
from .workbooks import (
    LISTING_HEADERS,
    PRODUCT_HEADERS,
    counts,
    product,
    sample_workbook,
)

DANGEROUS_NAME = "=cmd|' /C calc'!A0"


def load(app, tmp_path):
    """The catalogue plus the sample workbook, a checked listing and a dangerous name."""
    with app.app_context(), acting_as("test"):
        apply(validate(sample_workbook(tmp_path / "sample.xlsx")))
        make_product("LC-666", DANGEROUS_NAME, producer_named("HTX Sơn Hòa"),
                     decision_no="+12/QĐ", subgroup="Rượu", withdrawn=True)
        listing = db.session.scalar(db.select(Listing).filter_by(item_id="100.200"))
        listing.status = "active"
        listing.last_checked_at = datetime(2025, 7, 1, 2, 30)  # 09:30 in Vietnam
        db.session.commit()


def reimport(app, path):
    """Validate an export and apply it; the plan."""
    with app.app_context(), acting_as("test"):
        plan = validate(path)
        assert plan.ok, plan.problems
        apply(plan)
        return plan


def test_xlsx_export_has_both_sheets_with_vietnamese_headers(app, catalogue, tmp_path):
    load(app, tmp_path)
    path = tmp_path / "out.xlsx"
    with app.app_context():
        assert export(path) == [path]
    book = load_workbook(path)
    assert book.sheetnames == ["Sản phẩm", "Gian hàng"]
    products = list(book["Sản phẩm"].values)
    assert list(products[0]) == PRODUCT_HEADERS
    assert [r[0] for r in products[1:]] == ["LC-001", "LC-002", "LC-003", "LC-101", "LC-102",
                                            "LC-103", "LC-666"]
    buoi = products[4]
    assert buoi[1:9] == ("Quả bưởi Múc", "HTX Bưởi Múc Thái Niên", "Hợp tác xã", "5300111111",
                         "Thái Niên", "Lào Cai", "Thực phẩm", 3)
    assert buoi[10:] == (datetime(2021, 12, 15), datetime(2024, 12, 15))
    assert book["Sản phẩm"]["K5"].number_format == "dd/mm/yyyy"
    listings = list(book["Gian hàng"].values)
    assert list(listings[0]) == [*LISTING_HEADERS, "Tình trạng", "Kiểm tra lần cuối"]
    assert listings[1] == ("LC-001", "Shopee", "https://shopee.vn/che-i.1.2", None, None)
    assert listings[2] == ("LC-101", "Shopee", "https://shopee.vn/buoi-muc-i.100.200",
                           "Đang bán", datetime(2025, 7, 1, 9, 30))


def test_cells_a_spreadsheet_would_run_are_made_inert(app, catalogue, tmp_path):
    load(app, tmp_path)
    path = tmp_path / "out.xlsx"
    with app.app_context():
        export(path)
    sheet = load_workbook(path)["Sản phẩm"]
    last = sheet.max_row
    assert sheet.cell(last, 2).value == "'" + DANGEROUS_NAME
    assert sheet.cell(last, 2).data_type == "s"  # text, never a formula
    assert sheet.cell(last, 10).value == "'+12/QĐ"
    with app.app_context():
        export(tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[-1][1] == "'" + DANGEROUS_NAME and rows[-1][9] == "'+12/QĐ"


def test_export_reimports_with_zero_changes(app, catalogue, tmp_path):
    load(app, tmp_path)
    path = tmp_path / "out.xlsx"
    with app.app_context():
        export(path)
        before = counts()
    plan = reimport(app, path)
    assert not plan.changes_anything, plan.counts()
    assert plan.counts()["products_unchanged"] == 7 and plan.counts()["listings_unchanged"] == 4
    with app.app_context():
        assert counts() == before
        assert product("LC-666").name == DANGEROUS_NAME
        assert product("LC-666").subgroup == "Rượu" and product("LC-666").withdrawn


def test_csv_export_writes_two_files_that_reimport_cleanly(app, catalogue, tmp_path):
    load(app, tmp_path)
    path = tmp_path / "so-dang-ky.csv"
    with app.app_context():
        written = export(path)
        before = counts()
    assert written == [path, tmp_path / "so-dang-ky-gian-hang.csv"]
    assert listings_csv_path(path) == written[1]
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == PRODUCT_HEADERS
    assert rows[4][10:] == ["15/12/2021", "15/12/2024"]
    for part in written:
        assert not reimport(app, part).changes_anything
    with app.app_context():
        assert counts() == before


def test_an_empty_registry_exports_headers_only(app, tmp_path):
    path = tmp_path / "rong.xlsx"
    with app.app_context():
        export(path)
        plan = validate(path)
    assert plan.ok and not plan.changes_anything
    book = load_workbook(path)
    assert book["Sản phẩm"].max_row == 1 and book["Gian hàng"].max_row == 1


def test_expiry_dates_survive_the_round_trip(app, catalogue, tmp_path):
    with app.app_context():
        make_product("LC-010", "Tinh dầu quế Nậm Đét", producer_named("HTX Sơn Hòa"),
                     certified_on=date(2023, 2, 28), expires_on=date(2025, 12, 31))
        db.session.commit()
        export(tmp_path / "a.xlsx")
    assert not reimport(app, tmp_path / "a.xlsx").changes_anything


def test_a_product_made_on_the_web_without_a_decision_number_reimports_unchanged(
        app, officer, catalogue, tmp_path):
    with app.app_context():
        producer = producer_named("HTX Sơn Hòa")
        chosen = f"{producer.name} [#{producer.id}]"
    response = officer.post("/products/new", data={
        "code": "LC-020", "name": "Mật ong bạc hà", "producer": chosen, "category": "1",
        "stars": "3", "decision_no": "  ", "subgroup": "", "certified_on": "2025-03-01",
        "expires_on": ""})
    assert response.status_code == 303
    with app.app_context():
        made = product("LC-020")
        assert (made.decision_no, made.subgroup) == (None, None)
        path = tmp_path / "out.xlsx"
        export(path)
        before = counts()
    plan = reimport(app, path)
    assert not plan.changes_anything, plan.counts()
    with app.app_context():
        assert counts() == before
