"""Reading a workbook (.xlsx) or one table (.csv) as a stream of rows keyed by field."""

import csv
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zipfile import BadZipFile

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from .headers import (
    IGNORED,
    LISTINGS,
    PRODUCTS,
    REQUIRED,
    field_of,
    header,
    table_of_headers,
    table_of_sheet,
)

EXTENSIONS = (".xlsx", ".csv")
# A province's workbook unpacks to some 40 MB; a "zip bomb" unpacks to gigabytes from a few KB.
MAX_UNPACKED = 512 * 2**20


class UnreadableFile(ValueError):
    """A file that is not a workbook this importer can read; the message says why."""


@dataclass
class Table:
    """One table of the file: where it is, which column holds which field, and its rows."""

    kind: str  # headers.PRODUCTS or headers.LISTINGS
    sheet: str  # the sheet name, or the file name of a CSV, as reports show it
    columns: dict[str, int] = field(default_factory=dict)  # field -> column index
    headers: dict[str, str] = field(default_factory=dict)  # field -> header as written
    duplicates: list[str] = field(default_factory=list)  # headers naming a field twice
    rows: Iterator[tuple[int, tuple]] = iter(())  # (row number, cell values)

    def missing(self) -> list[str]:
        """The Vietnamese headers of required columns the table lacks."""
        return [header(self.kind, f) for f in REQUIRED[self.kind] if f not in self.columns]

    def column(self, name: str) -> str:
        """A field's header as the file writes it, else its Vietnamese header."""
        return self.headers.get(name) or header(self.kind, name)


def map_headers(table: Table, cells: tuple) -> Table:
    """Find which column holds which field; columns the importer does not know are skipped."""
    for index, cell in enumerate(cells):
        name = field_of(table.kind, cell) if cell is not None else None
        if name is None or name in IGNORED[table.kind]:
            continue
        if name in table.columns:
            table.duplicates.append(str(cell))
            continue
        table.columns[name] = index
        table.headers[name] = str(cell).strip()
    return table


def _numbered(rows) -> Iterator[tuple[int, tuple]]:
    """Rows with their 1-based numbers as a spreadsheet shows them, blank ones left out."""
    for number, cells in enumerate(rows, start=1):
        if any(c is not None and c != "" for c in cells):
            yield number, cells


def _header_row(rows: Iterator[tuple[int, tuple]]) -> tuple | None:
    """The first non-blank row, consumed from `rows`."""
    return next((cells for _n, cells in rows), None)


@contextmanager
def open_tables(path: str | Path, name: str | None = None) -> Iterator[list[Table]]:
    """The tables of a file, products first so that listings can refer to them; rows are
    read lazily while the block runs. `name` is the file name shown in reports."""
    path = Path(path)
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        with _xlsx_tables(path) as tables:
            yield tables
    elif suffix == ".csv":
        with _csv_table(path, name) as tables:
            yield tables
    else:
        raise UnreadableFile(_("Chỉ nhận tệp Excel .xlsx hoặc tệp .csv."))


@contextmanager
def _xlsx_tables(path: Path) -> Iterator[list[Table]]:
    """The product and listing sheets of an .xlsx workbook, opened read-only (streamed)."""
    if not zipfile.is_zipfile(path):
        raise UnreadableFile(_("Tệp này không phải là một bảng tính Excel .xlsx đọc được."))
    with zipfile.ZipFile(path) as archive:
        # Declared sizes can be trusted: zipfile stops reading a member at its declared size.
        if sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED:
            raise UnreadableFile(_("Tệp giải nén ra quá lớn (trên %(mb)d MB).",
                                   mb=MAX_UNPACKED // 2**20))
    try:
        # data_only=False: a formula shows as its "=…" text, so the importer can refuse it.
        book = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError):
        raise UnreadableFile(
            _("Tệp này không phải là một bảng tính Excel .xlsx đọc được.")) from None
    try:
        tables: dict[str, Table] = {}
        for sheet in book.worksheets:
            if not hasattr(sheet, "reset_dimensions"):
                continue  # a chart sheet
            sheet.reset_dimensions()  # a dimension tag written wrongly must not cut rows off
            rows = _numbered(sheet.iter_rows(values_only=True))
            cells = _header_row(rows)
            kind = table_of_sheet(sheet.title) or (cells and table_of_headers(cells))
            if not kind or cells is None:
                continue  # a notes sheet, or an empty one
            if kind in tables:
                raise UnreadableFile(_(
                    "Tệp có hai trang tính cùng là bảng %(kind)s: %(a)s và %(b)s.",
                    kind=header_title(kind), a=tables[kind].sheet, b=sheet.title))
            tables[kind] = map_headers(Table(kind, sheet.title, rows=rows), cells)
        if not tables:
            raise UnreadableFile(_(
                "Không tìm thấy trang tính “Sản phẩm” hay “Gian hàng” trong tệp."))
        yield sorted(tables.values(), key=lambda t: t.kind != "products")
    finally:
        book.close()


def header_title(kind: str) -> str:
    """The Vietnamese name of a table."""
    return _("Sản phẩm") if kind == "products" else _("Gian hàng")


@contextmanager
def _csv_table(path: Path, name: str) -> Iterator[list[Table]]:
    """The one table a CSV file holds, recognised by its headers."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        try:
            sample = handle.read(64 * 1024)
        except UnicodeDecodeError:
            raise UnreadableFile(_(
                "Tệp CSV phải lưu bằng mã UTF-8 (trong Excel: “CSV UTF-8”).")) from None
        if "\0" in sample:
            raise UnreadableFile(_("Tệp này không phải là tệp CSV."))
        handle.seek(0)
        rows = _numbered(_decoded(csv.reader(handle, delimiter=_delimiter(sample))))
        cells = _header_row(rows)
        kind = cells and table_of_headers(cells)
        if not kind:
            raise UnreadableFile(_(
                "Không nhận ra bảng trong tệp CSV: cần cột “Tên sản phẩm” (bảng sản phẩm) "
                "hoặc “Đường dẫn” (bảng gian hàng)."))
        yield [map_headers(Table(kind, name, rows=rows), cells)]


def _delimiter(sample: str) -> str:
    """The separator that makes the most known headers of the first line: Excel writes ";"
    where the list separator is a comma-decimal locale's, "," elsewhere; some tools write tabs.
    The header line decides, not a guess from the data, whose URLs hold commas and semicolons."""
    line = next((text for text in sample.splitlines() if text.strip()), "")

    def known(delimiter: str) -> int:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        return sum(field_of(kind, c) is not None for kind in (PRODUCTS, LISTINGS)
                   for c in cells)

    return max((",", ";", "\t"), key=known)  # ties go to the comma, listed first


def _decoded(reader) -> Iterator[list[str]]:
    """CSV records, with a decoding error turned into a message instead of a crash."""
    try:
        yield from reader
    except UnicodeDecodeError:
        raise UnreadableFile(_(
            "Tệp CSV phải lưu bằng mã UTF-8 (trong Excel: “CSV UTF-8”).")) from None
    except csv.Error as exc:
        raise UnreadableFile(_("Tệp CSV bị lỗi định dạng: %(error)s", error=str(exc))) from None

