"""Building test workbooks and reading back what the registry holds."""

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from ocop.extensions import db
from ocop.models import AuditEntry, Listing, Producer, Product

PRODUCT_HEADERS = ["Mã sản phẩm", "Tên sản phẩm", "Chủ thể", "Loại hình chủ thể", "Mã số thuế",
                   "Xã/Phường", "Tỉnh", "Nhóm sản phẩm", "Số sao", "Số quyết định",
                   "Ngày công nhận", "Ngày hết hạn"]
LISTING_HEADERS = ["Mã sản phẩm", "Sàn", "Đường dẫn"]


def product_row(code="LC-101", name="Quả bưởi Múc", producer="HTX Bưởi Múc Thái Niên",
                kind="HTX", tax_code="5300111111", commune="Thái Niên", province="Lào Cai",
                category="Thực phẩm", stars=3, decision_no="4261/QĐ-UBND",
                certified_on="15/12/2021", expires_on="") -> list:
    """One products row, in PRODUCT_HEADERS order."""
    return [code, name, producer, kind, tax_code, commune, province, category, stars,
            decision_no, certified_on, expires_on]


SAMPLE_PRODUCTS = [
    product_row(),
    product_row("LC-102", "Quả nhãn Phong Niên", "HTX Minh Ngọc", tax_code="5300222222",
                commune="Phong Niên", stars=4),
    product_row("LC-103", "Phong Hải Danh Trà – Trà hoa sen", "Công ty Cổ phần Phong Hải Lào Cai",
                kind="Doanh nghiệp", tax_code="5300333333", commune="Phong Hải",
                category="Đồ uống", certified_on=datetime(2021, 12, 15)),
]
SAMPLE_LISTINGS = [
    ["LC-101", "Shopee", "https://shopee.vn/buoi-muc-i.100.200"],
    ["LC-101", "", "https://tiki.vn/buoi-muc-p3001.html"],
    ["LC-102", "postmart", "https://postmart.vn/p/nhan-phong-nien-777.html"],
]


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An .xlsx file with one sheet per entry (first row: headers)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def sample_workbook(path: Path, products=None, listings=None) -> Path:
    """The sample workbook, with rows replaced where a test says so."""
    return write_xlsx(path, {
        "Sản phẩm": [PRODUCT_HEADERS, *(SAMPLE_PRODUCTS if products is None else products)],
        "Gian hàng": [LISTING_HEADERS, *(SAMPLE_LISTINGS if listings is None else listings)],
    })


def write_csv(path: Path, rows: list[list], delimiter=",", encoding="utf-8-sig") -> Path:
    """A CSV file of `rows`."""
    import csv

    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter).writerows(
            [[v.strftime("%d/%m/%Y") if isinstance(v, date) else v for v in row]
             for row in rows])
    return path


def counts() -> dict[str, int]:
    """How many producers, products, listings and audit rows the registry holds."""
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Producer, Product, Listing, AuditEntry)}


def product(code: str) -> Product | None:
    """The product with `code`."""
    return db.session.scalar(select(Product).where(Product.code == code))
