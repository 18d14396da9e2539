"""The importer's budgets: rows, columns and errors bounded, so a hostile file cannot hold a
request thread; past a limit the file is refused with a clear message and nothing is written."""

import io
import zipfile

import pytest

from ocop.workbook.validate import validate

from .conftest import sign_in
from .helpers import soup
from .workbooks import (
    LISTING_HEADERS,
    PRODUCT_HEADERS,
    counts,
    product_row,
    sample_workbook,
    write_csv,
    write_xlsx,
)


@pytest.fixture
def settings() -> dict:
    """Small limits, so that a file over them stays small (a test may parametrize this)."""
    return {"IMPORT_MAX_ROWS": 10, "IMPORT_MAX_COLUMNS": 14, "IMPORT_MAX_ERRORS": 5}


@pytest.fixture
def app_overrides(tmp_path, settings) -> dict:
    """The small limits, and uploads in the test's own folder."""
    return {"WORKBOOK_UPLOAD_FOLDER": str(tmp_path / "uploads"), **settings}


def check(app, path, name=None):
    """Validate a file and return the plan, checking that nothing was written."""
    with app.app_context():
        before = counts()
        plan = validate(path, name)
        assert counts() == before
        return plan


def listings(n: int) -> list[list]:
    """`n` listing rows naming products the registry lacks (each one an error)."""
    return [[f"LC-{i}", "Tiki", f"https://tiki.vn/x-p{1000 + i}.html"] for i in range(n)]


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def raw_xlsx(path, rows_xml: str, dimension: str | None = None, title="Gian hàng",
             prefix: str = ""):
    """A one-sheet workbook whose sheet XML is written by hand: a dimension that lies, rows
    numbered or shaped as no spreadsheet program would write them; `prefix` writes the sheet's
    elements in a prefixed namespace (<x:row>)."""
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" Type="{rels}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{rels}"><sheets><sheet name="{title}" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" Type="{rels}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'))
        x = f"{prefix}:" if prefix else ""
        archive.writestr("xl/worksheets/sheet1.xml", (
            f'<{x}worksheet xmlns{":" + prefix if prefix else ""}="{_MAIN}">{dim}'
            f'<{x}sheetData>{rows_xml}</{x}sheetData></{x}worksheet>'))
    return path


def row_xml(number: int | None, values: list[str]) -> str:
    """A row of inline strings, its cells without references (as some tools write them)."""
    r = f' r="{number}"' if number is not None else ""
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row{r}>{cells}</row>"


def assert_refused(plan, *fragments: str):
    """One problem, the refusal, saying all of `fragments`."""
    assert not plan.ok
    assert any(all(f in p.message for f in fragments) for p in plan.problems), plan.problems


def test_a_sheet_over_the_row_limit_is_refused_by_its_dimension(app, tmp_path):
    path = sample_workbook(tmp_path / "a.xlsx", listings=listings(10))  # 11 rows with headers
    plan = check(app, path)
    assert_refused(plan, "Gian hàng", "quá 10 dòng")
    assert plan.problems[-1].sheet == "Gian hàng"


def test_the_limits_leave_a_file_within_them_alone(app, tmp_path):
    path = sample_workbook(tmp_path / "a.xlsx")
    with app.app_context():
        plan = validate(path)
    assert plan.ok, plan.problems


def test_a_dimension_that_lies_is_caught_while_reading(app, tmp_path):
    rows = [row_xml(1, LISTING_HEADERS)] + [
        row_xml(None, row) for row in listings(3)] + [row_xml(100, listings(1)[0])]
    path = raw_xlsx(tmp_path / "a.xlsx", "".join(rows), dimension="A1:C4")
    plan = check(app, path)
    assert_refused(plan, "quá 10 dòng")
    # The three listings before it were checked; the reading stopped at row 100.
    assert [p.row for p in plan.problems] == [2, 3, 4, None]


@pytest.mark.parametrize("settings", [{"IMPORT_MAX_ROWS": 10, "IMPORT_MAX_ERRORS": 100}])
def test_rows_numbered_alike_are_counted(app, tmp_path):
    rows = [row_xml(1, LISTING_HEADERS)] + [row_xml(2, listings(1)[0])] * 20
    plan = check(app, raw_xlsx(tmp_path / "a.xlsx", "".join(rows)))
    assert_refused(plan, "quá 10 dòng")
    assert plan.problem_count == 1  # refused by the row count, before any row was checked


@pytest.mark.parametrize("settings", [{"IMPORT_MAX_ERRORS": 5}])
def test_a_row_numbered_in_the_billions_is_refused_at_once(app, tmp_path):
    rows = row_xml(1, LISTING_HEADERS) + row_xml(2_000_000_000, listings(1)[0])
    plan = check(app, raw_xlsx(tmp_path / "a.xlsx", rows))  # openpyxl filled the gap for ever
    assert_refused(plan, "quá 200000 dòng")


def test_a_cell_beyond_the_column_limit_is_refused(app, tmp_path):
    headers = [*PRODUCT_HEADERS, "Ghi chú", "Khác", "Thừa"]  # 15 columns, the limit 14
    path = write_xlsx(tmp_path / "a.xlsx", {"Sản phẩm": [headers, [*product_row(), "", "", "x"]]})
    plan = check(app, path)
    assert_refused(plan, "Sản phẩm", "cột O", "quá giới hạn 14 cột")


def test_a_dimension_lying_about_columns_is_caught_while_reading(app, tmp_path):
    wide = [*LISTING_HEADERS, *(f"x{i}" for i in range(12))]  # 15 columns
    rows = row_xml(1, LISTING_HEADERS) + row_xml(2, wide)
    plan = check(app, raw_xlsx(tmp_path / "a.xlsx", rows, dimension="A1:C2"))
    assert_refused(plan, "cột O", "quá giới hạn 14 cột")
    assert plan.problems[-1].row == 2


@pytest.mark.parametrize("settings", [{}])
def test_a_row_of_thousands_of_empty_cells_is_refused_quickly(app, tmp_path):
    rows = row_xml(1, LISTING_HEADERS) + "<row>" + "<c/>" * 1_000_000 + "</row>"
    plan = check(app, raw_xlsx(tmp_path / "a.xlsx", rows))
    assert_refused(plan, "quá giới hạn 50 cột")


def test_a_row_of_many_nested_elements_is_refused(app, tmp_path):
    runs = "<r><t>a</t></r>" * 2000
    rows = row_xml(1, LISTING_HEADERS) + f'<row><c t="inlineStr"><is>{runs}</is></c></row>'
    plan = check(app, raw_xlsx(tmp_path / "a.xlsx", rows))
    assert_refused(plan, "Dòng 2", "quá lớn để đọc")


def test_a_broken_sheet_is_a_message_not_a_crash(app, tmp_path):
    rows = row_xml(1, LISTING_HEADERS) + "<row><c><v>1</c></row>"
    plan = check(app, raw_xlsx(tmp_path / "a.xlsx", rows))
    assert_refused(plan, "bị lỗi, không đọc được")


def test_inline_rich_text_reads_as_its_text(app, catalogue, tmp_path):
    cell = ('<c t="inlineStr"><is><r><rPr><b/></rPr><t>https://tiki.vn/</t></r>'
            '<r><t>x-p55.html</t></r><rPh><t>ignored</t></rPh></is></c>')
    rows = (row_xml(1, LISTING_HEADERS) +
            f'<row><c t="inlineStr"><is><t>LC-001</t></is></c><c/>{cell}</row>')
    plan = check(app, raw_xlsx(tmp_path / "a.xlsx", rows))
    assert plan.ok, plan.problems
    assert plan.listings_new[0].url == "https://tiki.vn/x-p55.html"


def test_validation_stops_after_the_error_limit(app, tmp_path):
    path = sample_workbook(tmp_path / "a.xlsx", products=[], listings=listings(9))
    plan = check(app, path)
    assert plan.problem_count == 5 and len(plan.problems) == 5 and plan.stopped
    assert [p.row for p in plan.problems] == [2, 3, 4, 5, 6]


def test_the_error_limit_leaves_a_file_with_fewer_errors_alone(app, tmp_path):
    plan = check(app, sample_workbook(tmp_path / "a.xlsx", products=[], listings=listings(5)))
    assert plan.problem_count == 5 and not plan.stopped


def test_the_command_says_validation_stopped(app, tmp_path):
    path = sample_workbook(tmp_path / "a.xlsx", products=[], listings=listings(9))
    result = app.test_cli_runner().invoke(args=["ocop", "import", str(path)])
    assert result.exit_code == 1
    assert "… và còn lỗi khác: đã dừng kiểm tra sau 5 lỗi." in result.stderr
    with app.app_context():
        assert counts()["Listing"] == 0


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_page_says_validation_stopped_in_the_users_language(app, tmp_path, language):
    from flask_babel import force_locale, gettext

    officer = sign_in(app, "officer@example.vn")
    if language == "en":
        officer.post("/lang/en", data={"next": "/workbook/"})
    path = sample_workbook(tmp_path / "a.xlsx", products=[], listings=listings(9))
    data = {"file": (io.BytesIO(path.read_bytes()), "a.xlsx")}
    response = officer.post("/workbook/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    with app.test_request_context(), force_locale(language):
        expected = gettext("… và còn lỗi khác: đã dừng kiểm tra sau %(n)d lỗi.", n=5)
    assert soup(response).find(id="stopped").text.strip() == expected
    if language == "en":
        assert expected == "… and more errors: validation stopped after 5."


def test_a_refusal_in_english(app, tmp_path):
    officer = sign_in(app, "officer@example.vn")
    officer.post("/lang/en", data={"next": "/workbook/"})
    path = sample_workbook(tmp_path / "a.xlsx", listings=listings(10))
    data = {"file": (io.BytesIO(path.read_bytes()), "a.xlsx")}
    response = officer.post("/workbook/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "has more than 10 rows" in soup(response).find(id="problems").text


@pytest.mark.parametrize("settings", [{"IMPORT_MAX_ROWS": 10, "IMPORT_MAX_ERRORS": 100}])
def test_a_csv_over_the_row_limit_is_refused(app, tmp_path):
    path = write_csv(tmp_path / "gian-hang.csv", [LISTING_HEADERS, *listings(10)[:4],
                                                  *([["", "", ""]] * 3), *listings(10)[4:]])
    plan = check(app, path)
    assert_refused(plan, "gian-hang.csv", "quá 10 dòng")
    assert plan.problems[-1].sheet == "gian-hang.csv"
    assert [p.row for p in plan.problems] == [2, 3, 4, 5, 9, 10, None]  # blank rows count


def test_a_csv_value_beyond_the_column_limit_is_refused(app, tmp_path):
    rows = [LISTING_HEADERS, [*listings(1)[0], *([""] * 11), "x"]]
    plan = check(app, write_csv(tmp_path / "gian-hang.csv", rows))
    assert_refused(plan, "cột O", "quá giới hạn 14 cột")


def test_csv_empty_fields_beyond_the_limit_are_ignored(app, catalogue, tmp_path):
    rows = [LISTING_HEADERS, ["LC-001", "Tiki", "https://tiki.vn/x-p1000.html",
                              *([""] * 40)]]
    plan = check(app, write_csv(tmp_path / "gian-hang.csv", rows))
    assert plan.ok, plan.problems


def test_a_csv_line_too_long_is_refused(app, tmp_path):
    path = tmp_path / "gian-hang.csv"
    path.write_text(";".join(LISTING_HEADERS) + "\n" + "," * (2**20 + 10) + "\n",
                    encoding="utf-8")
    plan = check(app, path)
    assert_refused(plan, "dài quá")


def test_csv_errors_stop_at_the_limit(app, tmp_path):
    plan = check(app, write_csv(tmp_path / "gian-hang.csv", [LISTING_HEADERS, *listings(9)]))
    assert plan.problem_count == 5 and plan.stopped


@pytest.mark.parametrize("settings", [{"IMPORT_MAX_PRODUCT_ROWS": 3}])
def test_the_products_table_has_its_own_tighter_row_limit(app, tmp_path):
    products = [product_row(code=f"LC-{n:03}", name=f"Sản phẩm {n}") for n in range(3)]
    path = write_xlsx(tmp_path / "a.xlsx", {"Sản phẩm": [PRODUCT_HEADERS, *products],
                                            "Gian hàng": [LISTING_HEADERS, *listings(5)]})
    plan = check(app, path)
    assert_refused(plan, "Sản phẩm", "quá 3 dòng")
    assert plan.problem_count == 1  # refused before a row of either sheet was checked
    plan = check(app, write_csv(tmp_path / "san-pham.csv", [PRODUCT_HEADERS, *products]))
    assert_refused(plan, "san-pham.csv", "quá 3 dòng")
    path = write_xlsx(tmp_path / "b.xlsx", {"Sản phẩm": [PRODUCT_HEADERS, *products[:2]]})
    assert check(app, path).ok


@pytest.mark.parametrize("settings", [{"IMPORT_MAX_ROWS": 10, "IMPORT_MAX_ERRORS": 100}])
def test_rows_written_with_a_namespace_prefix_are_counted_too(app, tmp_path):
    rows = [row_xml(None, LISTING_HEADERS)] + [row_xml(None, r) for r in listings(12)]
    prefixed = "".join(rows).replace("<", "<x:").replace("<x:/", "</x:")
    plan = check(app, raw_xlsx(tmp_path / "a.xlsx", prefixed, prefix="x"))
    assert_refused(plan, "quá 10 dòng")
    assert plan.problem_count == 1
