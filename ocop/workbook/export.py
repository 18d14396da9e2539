"""Writing the registry as the province's workbook, in the shape the importer reads back."""

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select

from ..extensions import db
from ..localtime import wall_clock
from ..models import (
    CATEGORIES,
    LISTING_STATUSES,
    PRODUCER_KINDS,
    Listing,
    Marketplace,
    Producer,
    Product,
)
from .cells import guard, vietnamese
from .headers import LISTINGS, PRODUCTS, SHEET_NAMES, header

PRODUCT_COLUMNS = ("code", "name", "producer", "producer_kind", "tax_code", "commune",
                   "province", "category", "stars", "decision_no", "certified_on", "expires_on")
LISTING_COLUMNS = ("code", "marketplace", "url", "status", "last_checked_at")
WIDTHS = {PRODUCTS: (14, 40, 36, 16, 14, 18, 14, 30, 8, 18, 14, 14),
          LISTINGS: (14, 14, 70, 18, 18)}
DATE_FORMAT, DATETIME_FORMAT = "dd/mm/yyyy", "dd/mm/yyyy hh:mm"
BATCH = 2000  # rows fetched at a time: the export streams, it never holds the registry


def listings_csv_path(path: str | Path) -> Path:
    """Where a CSV export puts the listings table: beside the products, "-gian-hang" added."""
    path = Path(path)
    return path.with_name(f"{path.stem}-gian-hang.csv")


def product_rows() -> Iterator[tuple]:
    """The products sheet, row by row, ordered by code."""
    kinds = {k: vietnamese(v) for k, v in PRODUCER_KINDS.items()}
    categories = {k: vietnamese(v) for k, v in CATEGORIES.items()}
    query = (select(Product.code, Product.name, Producer.name, Producer.kind, Producer.tax_code,
                    Producer.commune, Producer.province, Product.category, Product.stars,
                    Product.decision_no, Product.certified_on, Product.expires_on)
             .join(Product.producer).order_by(Product.code)
             .execution_options(yield_per=BATCH))
    for (code, name, producer, kind, tax_code, commune, province, category, stars,
         decision_no, certified_on, expires_on) in db.session.execute(query):
        yield (guard(code), guard(name), guard(producer), kinds.get(kind, kind),
               guard(tax_code), guard(commune), guard(province), categories[category], stars,
               guard(decision_no), certified_on, expires_on)


def listing_rows() -> Iterator[tuple]:
    """The listings sheet, row by row: what the importer reads, then the last check."""
    statuses = {k: vietnamese(v) for k, v in LISTING_STATUSES.items()}
    query = (select(Product.code, Marketplace.name, Listing.url, Listing.status,
                    Listing.last_checked_at)
             .join(Listing.product).join(Listing.marketplace)
             .order_by(Product.code, Listing.id)
             .execution_options(yield_per=BATCH))
    for code, marketplace, url, status, checked in db.session.execute(query):
        yield (guard(code), guard(marketplace), guard(url), statuses.get(status),
               wall_clock(checked))


TABLES = {PRODUCTS: (PRODUCT_COLUMNS, product_rows), LISTINGS: (LISTING_COLUMNS, listing_rows)}


def write_xlsx(target) -> None:
    """Both sheets into an .xlsx file (a path or a binary file object), streamed."""
    book = Workbook(write_only=True)
    for kind, (columns, rows) in TABLES.items():
        sheet = book.create_sheet(SHEET_NAMES[kind][0])
        sheet.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGHIJKL", WIDTHS[kind], strict=False):
            sheet.column_dimensions[letter].width = width
        bold = Font(bold=True)
        sheet.append([styled(sheet, header(kind, c), font=bold) for c in columns])
        for row in rows():
            sheet.append([dated(sheet, v) for v in row])
    book.save(target)


def styled(sheet, value, **style) -> WriteOnlyCell:
    """A write-only cell with a style."""
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def dated(sheet, value):
    """Dates get a Vietnamese number format; write-only sheets would show them ISO-style."""
    if isinstance(value, datetime):
        return styled(sheet, value, number_format=DATETIME_FORMAT)
    if isinstance(value, date):
        return styled(sheet, value, number_format=DATE_FORMAT)
    return value


def write_csv(handle, kind: str) -> None:
    """One table as CSV text into `handle`; dates as dd/mm/yyyy."""
    columns, rows = TABLES[kind]
    writer = csv.writer(handle)
    writer.writerow([header(kind, c) for c in columns])
    for row in rows():
        writer.writerow([_csv_text(v) for v in row])


def _csv_text(value) -> str:
    """A cell as CSV text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def export(path: str | Path) -> list[Path]:
    """Export to `path` (.xlsx: both sheets; .csv: products there, listings beside it)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        write_xlsx(path)
        return [path]
    if path.suffix.lower() != ".csv":
        raise ValueError(path.suffix)
    written = []
    for kind, target in ((PRODUCTS, path), (LISTINGS, listings_csv_path(path))):
        # utf-8-sig: the byte-order mark is how Excel knows the file is UTF-8.
        with target.open("w", newline="", encoding="utf-8-sig") as handle:
            write_csv(handle, kind)
        written.append(target)
    return written


def xlsx_bytes() -> io.BytesIO:
    """The workbook in memory, for a download (a few MB even for the whole province)."""
    buffer = io.BytesIO()
    write_xlsx(buffer)
    buffer.seek(0)
    return buffer


def csv_bytes(kind: str) -> io.BytesIO:
    """One table as UTF-8 CSV in memory, for a download."""
    text = io.StringIO()
    write_csv(text, kind)
    return io.BytesIO(("\ufeff" + text.getvalue()).encode())
