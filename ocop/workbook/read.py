"""Reading a workbook (.xlsx) or one table (.csv) as a stream of rows keyed by field."""

import csv
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zipfile import BadZipFile

from flask import current_app
from flask_babel import gettext as _
from lxml import etree
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser

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
# The import's budgets (settings IMPORT_MAX_ROWS, IMPORT_MAX_PRODUCT_ROWS, IMPORT_MAX_COLUMNS,
# IMPORT_MAX_ERRORS override
# them). A national registry is some 20,000 products and 100,000 listings on 12 and 3 columns;
# a sheet may have twice the latter. Past a limit the file is refused as soon as the reader meets
# it, so a hostile file costs at most this much parsing whatever it unpacks to.
MAX_ROWS = 200_000  # per sheet (or CSV file), the header row included
# Products cost the most to check (and a new producer each); the country has some 15,000.
MAX_PRODUCT_ROWS = 50_000
MAX_COLUMNS = 50  # no cell may lie further right, empty or not
MAX_ERRORS = 200  # validation stops at the next one: the report says more may follow
# XML elements a row may hold per column: a cell, its value, rich-text runs and their fonts.
ELEMENTS_PER_COLUMN = 64
MAX_CSV_LINE = 2**20  # characters; an honest line is well under 10,000
# XML elements a sheet may hold outside its rows (views, column widths, merged cells…).
MAX_OTHER_ELEMENTS = 100_000


@dataclass(frozen=True)
class Budget:
    """How much of a file the importer reads and how many problems it collects."""

    rows: int = MAX_ROWS
    product_rows: int = MAX_PRODUCT_ROWS
    columns: int = MAX_COLUMNS
    errors: int = MAX_ERRORS

    @classmethod
    def from_config(cls) -> "Budget":
        """The budget the app's settings give, else the defaults above."""
        config = current_app.config
        return cls(int(config.get("IMPORT_MAX_ROWS", MAX_ROWS)),
                   int(config.get("IMPORT_MAX_PRODUCT_ROWS", MAX_PRODUCT_ROWS)),
                   int(config.get("IMPORT_MAX_COLUMNS", MAX_COLUMNS)),
                   int(config.get("IMPORT_MAX_ERRORS", MAX_ERRORS)))


class UnreadableFile(ValueError):
    """A file that is not a workbook this importer can read; the message says why, and `sheet`
    and `row` where, when it is one place."""

    def __init__(self, message: str, sheet: str | None = None, row: int | None = None):
        super().__init__(message)
        self.sheet, self.row = sheet, row


def too_many_rows(sheet: str, limit: int) -> UnreadableFile:
    """The refusal of a sheet longer than `limit` rows."""
    return UnreadableFile(_("Trang tính %(sheet)s có quá %(n)d dòng, giới hạn của một lần "
                            "nhập; hãy xoá các dòng thừa hoặc chia thành nhiều tệp.",
                            sheet=sheet, n=limit), sheet)


def too_wide(sheet: str, row: int | None, column: int, budget: Budget) -> UnreadableFile:
    """The refusal of a sheet with a cell beyond the column limit."""
    return UnreadableFile(_("Trang tính %(sheet)s có ô ở cột %(column)s, quá giới hạn %(n)d "
                            "cột; hãy xoá các cột thừa ở bên phải bảng.", sheet=sheet,
                            column=get_column_letter(min(column, 18278)), n=budget.columns),
                          sheet, row)


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
    """(number, cells) pairs with the blank rows left out."""
    for number, cells in rows:
        if any(c is not None and c != "" for c in cells):
            yield number, cells


def _header_row(rows: Iterator[tuple[int, tuple]]) -> tuple | None:
    """The first non-blank row, consumed from `rows`."""
    return next((cells for _n, cells in rows), None)


@contextmanager
def open_tables(path: str | Path, name: str | None = None,
                budget: Budget | None = None) -> Iterator[list[Table]]:
    """The tables of a file, products first so that listings can refer to them; rows are
    read lazily while the block runs, within `budget` (else the app's). `name` is the file
    name shown in reports."""
    path = Path(path)
    name = name or path.name
    budget = budget or Budget.from_config()
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        with _xlsx_tables(path, budget) as tables:
            yield tables
    elif suffix == ".csv":
        with _csv_table(path, name, budget) as tables:
            yield tables
    else:
        raise UnreadableFile(_("Chỉ nhận tệp Excel .xlsx hoặc tệp .csv."))


@contextmanager
def _xlsx_tables(path: Path, budget: Budget) -> Iterator[list[Table]]:
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
        reader = _BookReader(path, read_only=True, data_only=False)
        reader.read()
        book = reader.wb
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, SyntaxError,
            etree.XMLSyntaxError):  # SyntaxError: the XML errors of the standard library
        raise UnreadableFile(
            _("Tệp này không phải là một bảng tính Excel .xlsx đọc được.")) from None
    try:
        tables: dict[str, Table] = {}
        for sheet in book.worksheets:
            if not isinstance(sheet, _Sheet):
                continue  # a chart sheet
            # The size the sheet declares refuses it before any row is read; a dimension that
            # lies, or none, is caught by _sheet_rows as it reads.
            if (sheet.max_row or 0) > budget.rows:
                raise too_many_rows(sheet.title, budget.rows)
            if (sheet.max_column or 0) > budget.columns:
                raise too_wide(sheet.title, None, sheet.max_column, budget)
            count = _count_rows(sheet, budget.rows + 1)
            if count > budget.rows:
                raise too_many_rows(sheet.title, budget.rows)
            rows = _numbered(_sheet_rows(sheet, budget))
            cells = _header_row(rows)
            kind = table_of_sheet(sheet.title) or (cells and table_of_headers(cells))
            if not kind or cells is None:
                continue  # a notes sheet, or an empty one
            if kind in tables:
                raise UnreadableFile(_(
                    "Tệp có hai trang tính cùng là bảng %(kind)s: %(a)s và %(b)s.",
                    kind=header_title(kind), a=tables[kind].sheet, b=sheet.title))
            if kind == PRODUCTS and count > budget.product_rows:
                raise too_many_rows(sheet.title, budget.product_rows)
            tables[kind] = map_headers(Table(kind, sheet.title, rows=rows), cells)
        if not tables:
            raise UnreadableFile(_(
                "Không tìm thấy trang tính “Sản phẩm” hay “Gian hàng” trong tệp."))
        yield sorted(tables.values(), key=lambda t: t.kind != "products")
    finally:
        book.close()


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _FORMULA, _INLINE, _TEXT, _RUN, _DATA, _DIMENSION = (
    _MAIN + tag for tag in ("row", "c", "f", "is", "t", "r", "sheetData", "dimension"))


def _parse(source):
    """lxml's incremental parser: no DTD, no entities, no text node over 10 MB."""
    return etree.iterparse(source, events=("start", "end"), resolve_entities=False,
                           no_network=True, huge_tree=False)


class _Sheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet, whose declared size is read from the start of its XML:
    openpyxl's own reading, for a sheet that declares none, parses the whole sheet on opening."""

    def _get_size(self):
        """The <dimension> before the rows, if there is one."""
        with self._get_source() as source:
            try:
                for event, element in _parse(source):
                    if event == "start" and element.tag == _DIMENSION:
                        bounds = range_boundaries(element.get("ref", ""))
                        if None not in bounds:
                            self._min_column, self._min_row, self._max_column, self._max_row = (
                                bounds)
                        return
                    if event == "start" and element.tag == _DATA:
                        return
            except (etree.XMLSyntaxError, ValueError, TypeError):
                return  # the rows' reading reports it


class _BookReader(ExcelReader):
    """openpyxl's read-only workbook reader, with _Sheet for its sheets."""

    def read_worksheets(self):
        """As openpyxl's, for a read-only workbook."""
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            ws = _Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


# A <row> element's start with a namespace prefix (<x:row r="1">), which a few tools write.
_PREFIXED_ROW = re.compile(rb"<[A-Za-z_][\w.-]*:row[\s/>]")


def _row_starts(data: bytes, end: int) -> int:
    """The <row> elements that start in data[:end]: counted with bytes.count (a GB a second),
    the slower pattern only where a prefix may be; a row written as "<row\n" is missed, and
    left to the streaming reader's own count."""
    count = sum(data.count(start, 0, end) for start in (b"<row ", b"<row>", b"<row/>"))
    return count + (len(_PREFIXED_ROW.findall(data, 0, end)) if b":row" in data else 0)


def _count_rows(sheet, stop: int) -> int:
    """The sheet's rows, counted up to about `stop` by scanning its bytes, not parsing them: a
    sheet whose declared size lies is refused at the speed of unzipping, before a row is read
    or validated. Each chunk is cut at its last "<", so no row start spans two chunks."""
    count, tail = 0, b""
    with sheet._get_source() as source:
        while count < stop and (chunk := source.read(2**20)):
            data = tail + chunk
            cut = data.rfind(b"<")
            cut = len(data) if cut < 0 else cut
            count += _row_starts(data, cut)
            tail = data[cut:]
        return count + _row_starts(tail, len(tail))


def _sheet_rows(sheet, budget: Budget) -> Iterator[tuple[int, tuple]]:
    """A read-only worksheet's rows as (row number, values), streamed from its XML within the
    budget. openpyxl's own reader parses a whole row before it yields it and fills the gaps
    between row numbers with empty rows, so one row of millions of cells, or a row numbered in
    the billions, would hold the CPU; here a row past the row limit, a cell past the column
    limit, or a row of too many XML elements stops the reading when the parser meets it. What
    the reader has passed is dropped, so memory stays flat. Values are openpyxl's own (dates,
    shared strings, formulas as "=…"), inline strings read directly (several times faster)."""
    book = sheet.parent
    parser = WorkSheetParser(None, sheet._shared_strings, data_only=False, epoch=book.epoch,
                             date_formats=book._date_formats,
                             timedelta_formats=book._timedelta_formats)
    title = sheet.title
    depth = number = read = 0
    in_row = False
    values: list = []
    column = cells = elements = others = 0
    with sheet._get_source() as source:
        try:
            for event, element in _parse(source):
                if event == "start":
                    depth += 1
                    if not in_row and not (depth == 3 and element.tag == _ROW):
                        others += 1
                        if others > MAX_OTHER_ELEMENTS:
                            raise UnreadableFile(_("Trang tính %(sheet)s bị lỗi, không đọc "
                                                   "được.", sheet=title), title)
                    if in_row:
                        elements += 1
                        if elements > budget.columns * ELEMENTS_PER_COLUMN:
                            raise UnreadableFile(_(
                                "Dòng %(row)d của trang tính %(sheet)s quá lớn để đọc.",
                                row=number, sheet=title), title, number)
                    elif depth == 3 and element.tag == _ROW:
                        read += 1
                        number = _row_number(element.get("r"), number)
                        if number > budget.rows or read > budget.rows:
                            raise too_many_rows(title, budget.rows)
                        in_row, values, column, cells, elements = True, [], 0, 0, 0
                    continue
                depth -= 1
                if in_row and depth == 3 and element.tag == _CELL:
                    reference = element.get("r")
                    column = _column_number(reference) if reference else column + 1
                    cells += 1
                    if column > budget.columns or cells > budget.columns:
                        raise too_wide(title, number, max(column, cells), budget)
                    value = _cell_value(parser, element)
                    if value is not None:
                        values.extend([None] * (column - len(values)))
                        values[column - 1] = value
                    continue
                if in_row and depth > 2:
                    continue  # a cell's value and runs, read with the cell
                if in_row:  # the row's end
                    in_row = False
                    yield number, tuple(values)
                if depth == 1 and element.tag == _MAIN + "sheetData":
                    break  # nothing after the rows matters
                # What has been read is dropped: the element emptied, its earlier siblings
                # removed (lxml's safe way; the parser may still hold the element itself).
                element.clear(keep_tail=True)
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError:
            raise UnreadableFile(_("Trang tính %(sheet)s bị lỗi, không đọc được.",
                                   sheet=title), title) from None


def _row_number(reference: str | None, previous: int) -> int:
    """A row's number: its r attribute, else the one after the previous row."""
    if reference is None:
        return previous + 1
    try:
        return int(reference)
    except ValueError:
        raise UnreadableFile(_("Tệp này không phải là một bảng tính Excel .xlsx đọc được.")
                             ) from None


def _column_number(reference: str) -> int:
    """The column of a cell reference such as "AB12"."""
    letters = reference.rstrip("0123456789")
    try:
        return column_index_from_string(letters) if 0 < len(letters) <= 3 else 1 << 30
    except ValueError:
        raise UnreadableFile(_("Tệp này không phải là một bảng tính Excel .xlsx đọc được.")
                             ) from None


def _cell_value(parser: WorkSheetParser, element):
    """A cell's value as openpyxl reads it; an inline string's text read directly."""
    if element.get("t") == "inlineStr" and element.find(_FORMULA) is None:
        inline = element.find(_INLINE)
        if inline is None:
            return None
        return "".join((child.text or "") if child.tag == _TEXT else
                       (child.findtext(_TEXT) or "") if child.tag == _RUN else ""
                       for child in inline)
    try:
        return parser.parse_cell(element)["value"]
    except (ValueError, IndexError, TypeError):
        raise UnreadableFile(_("Ô %(cell)s không đọc được.", cell=element.get("r") or "?")
                             ) from None


def header_title(kind: str) -> str:
    """The Vietnamese name of a table."""
    return _("Sản phẩm") if kind == "products" else _("Gian hàng")


@contextmanager
def _csv_table(path: Path, name: str, budget: Budget) -> Iterator[list[Table]]:
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
        reader = csv.reader(_lines(handle, name), delimiter=_delimiter(sample))
        rows = _numbered(_bounded(_decoded(reader), name, budget))
        cells = _header_row(rows)
        kind = cells and table_of_headers(cells)
        if not kind:
            raise UnreadableFile(_(
                "Không nhận ra bảng trong tệp CSV: cần cột “Tên sản phẩm” (bảng sản phẩm) "
                "hoặc “Đường dẫn” (bảng gian hàng)."))
        if kind == PRODUCTS:
            rows = _capped(rows, budget.product_rows, name)
        yield [map_headers(Table(kind, name, rows=rows), cells)]


def _capped(rows: Iterator[tuple[int, tuple]], limit: int, name: str):
    """`rows`, refused when one lies past row `limit`."""
    for number, cells in rows:
        if number > limit:
            raise too_many_rows(name, limit)
        yield number, cells


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


def _lines(handle, name: str) -> Iterator[str]:
    """The file's lines, refused when one is longer than any honest record."""
    while line := handle.readline(MAX_CSV_LINE):
        if len(line) == MAX_CSV_LINE and not line.endswith("\n"):
            raise UnreadableFile(_("Tệp CSV có một dòng dài quá %(n)d ký tự.", n=MAX_CSV_LINE),
                                 name)
        yield line


def _bounded(records, name: str, budget: Budget) -> Iterator[tuple[int, list[str]]]:
    """Numbered CSV records within the budget: a record past the row limit, or a value past
    the column limit, refuses the file when it is reached."""
    for number, record in enumerate(records, start=1):
        if number > budget.rows:
            raise too_many_rows(name, budget.rows)
        if len(record) > budget.columns:
            beyond = next((i for i in range(len(record) - 1, budget.columns - 1, -1)
                           if record[i].strip()), None)
            if beyond is not None:
                raise too_wide(name, number, beyond + 1, budget)
            del record[budget.columns:]  # empty separators a spreadsheet left at the end
        yield number, record


def _decoded(reader) -> Iterator[list[str]]:
    """CSV records, with a decoding error turned into a message instead of a crash."""
    try:
        yield from reader
    except UnicodeDecodeError:
        raise UnreadableFile(_(
            "Tệp CSV phải lưu bằng mã UTF-8 (trong Excel: “CSV UTF-8”).")) from None
    except csv.Error as exc:
        raise UnreadableFile(_("Tệp CSV bị lỗi định dạng: %(error)s", error=str(exc))) from None

