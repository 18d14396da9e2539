"""The monthly report: `ocop report` and the dashboard's download, read back with openpyxl."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from ocop.localtime import local_date, month_end, month_of
from ocop.models import add_months, utcnow
from tests.test_months import history  # noqa: F401  (fixture)


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["ocop", *args])


def months_back(app, n: int) -> str:
    """The month `n` before this one, as YYYY-MM."""
    with app.app_context():
        return f"{add_months(month_of(utcnow()), -n):%Y-%m}"


def sheet_rows(book, name: str) -> list[tuple]:
    return [tuple(cell for cell in row) for row in book[name].iter_rows(values_only=True)]


def labelled(rows: list[tuple]) -> dict:
    """The summary sheet's figure lines by their label."""
    return {row[0]: row[1:] for row in rows if row and isinstance(row[0], str)}


def test_a_closed_month_report_from_the_command_line(app, run, history, tmp_path):  # noqa: F811
    path = tmp_path / "bao-cao.xlsx"
    result = run("report", "--month", months_back(app, 4), str(path))
    assert result.exit_code == 0, result.output
    assert "2/3 sản phẩm có gian hàng đang hoạt động" in result.output
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["Tổng hợp", "Theo nhóm sản phẩm", "Theo hạng sao",
                               "Theo xã-phường", "Theo loại chủ thể", "Theo sàn", "Sản phẩm",
                               "Gian hàng"]
    summary = sheet_rows(book, "Tổng hợp")
    figures = labelled(summary)
    with app.app_context():
        end = local_date(month_end(add_months(month_of(utcnow()), -4)))
    assert figures["Số liệu tính đến"][0].date() == end
    assert figures["Sản phẩm có gian hàng trên sàn"][:3] == (2, 3, 66.7)
    assert figures["Sản phẩm đang còn hàng để mua"][:3] == (2, 3, 66.7)
    assert figures["  trong đó qua trang"][:3] == (2, 3, 66.7)  # both read as pages
    assert figures["  trong đó qua tài khoản sàn"][:3] == (0, 3, 0.0)
    assert figures["Sản phẩm được máy kiểm tra xác minh"][:3] == (2, 3, 66.7)
    assert figures["Sản phẩm chưa có gian hàng nào"][0] == 1
    sentence = next(row[0] for row in summary if row and str(row[0]).startswith("Tính đến"))
    assert f"Tính đến ngày {end:%d/%m/%Y}, toàn tỉnh có 3 sản phẩm OCOP" in sentence
    assert {"#1", "#2"} <= {row[0] for row in summary if row and str(row[0]).startswith("#")}
    by_marketplace = {row[0]: row for row in sheet_rows(book, "Theo sàn")[1:]}
    assert (by_marketplace["Postmart"][2], by_marketplace["Tiki"][2]) == (1, 1)
    assert by_marketplace["Tiki"][4:9] == (0, 0, 1, 0, 0)  # by a page; none unknown
    products = {row[0]: row for row in sheet_rows(book, "Sản phẩm")[1:]}
    assert products["M-A"][10:13] == ("Có", "Có", "Có") and products["M-C"][11] == "Không"
    listings = sheet_rows(book, "Gian hàng")[1:]
    assert [(r[0], r[2], r[4], r[8], r[9]) for r in listings] == [
        ("M-A", "Postmart", "Đang bán", "Có", "Qua trang"),
        ("M-A", "Shopee", "Chưa có kết luận", "Không", None),
        ("M-B", "Tiki", "Đang bán", "Có", "Qua trang")]


def test_the_month_in_progress_reports_today(app, run, history, tmp_path):  # noqa: F811
    path = tmp_path / "thang-nay.xlsx"
    assert run("report", "--month", months_back(app, 0), str(path)).exit_code == 0
    book = load_workbook(path, read_only=True)
    figures = labelled(sheet_rows(book, "Tổng hợp"))
    assert figures["Nguồn"][0] == "Tháng chưa kết thúc: trạng thái hiện tại"
    assert figures["Sản phẩm có gian hàng trên sàn"][:2] == (0, 3)  # A's last check is stale
    listings = {r[2]: r for r in sheet_rows(book, "Gian hàng")[1:]}
    assert listings["Tiki"][4] == "Đã gỡ" and listings["Postmart"][11] == "Có"  # stale


@pytest.mark.parametrize("month, message", [
    ("2026-13", "Tháng phải có dạng YYYY-MM"), ("11/2026", "Tháng phải có dạng YYYY-MM"),
    ("2999-01", "chưa đến"), ("2001-01", "Chưa có lượt kiểm tra nào trước cuối tháng 01/2001"),
])
def test_bad_months_are_refused_with_a_reason(run, officer, history, tmp_path,  # noqa: F811
                                              month, message):
    result = run("report", "--month", month, str(tmp_path / "x.xlsx"))
    assert result.exit_code == 1 and message in result.output
    assert not (tmp_path / "x.xlsx").exists()
    response = officer.get(f"/dashboard/report.xlsx?month={month}", follow_redirects=True)
    assert message in response.text


def test_the_dashboard_offers_the_report_of_each_closed_month(app, officer, producer_client,
                                                              history):  # noqa: F811
    month = months_back(app, 2)
    response = officer.get(f"/dashboard/report.xlsx?month={month}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f"bao-cao-ocop-{month}.xlsx")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert labelled(sheet_rows(book, "Tổng hợp"))["Sản phẩm có gian hàng trên sàn"][:2] == (1, 3)
    page = officer.get("/dashboard/").text
    assert f'value="{month}"' in page  # closed by the download, now offered on the page
    assert producer_client.get(f"/dashboard/report.xlsx?month={month}").status_code == 403


def test_report_cells_never_run_as_formulas(app, run, history, tmp_path):  # noqa: F811
    from ocop.extensions import db
    from ocop.models import Product

    with app.app_context():
        product = db.session.scalar(db.select(Product).filter_by(code="M-A"))
        product.name = "=HYPERLINK(\"http://x\")"
        db.session.commit()
    path = tmp_path / "r.xlsx"
    assert run("report", "--month", months_back(app, 1), str(path)).exit_code == 0
    products = {row[0]: row for row in sheet_rows(load_workbook(path), "Sản phẩm")[1:]}
    assert products["M-A"][1] == "'=HYPERLINK(\"http://x\")"


def test_a_month_that_has_just_ended_waits_for_its_last_checks(app, history):  # noqa: F811
    from ocop.dashboard import snapshot, sources
    from ocop.dashboard.figures import Filters

    with app.app_context():
        last = add_months(month_of(utcnow()), -1)
        with pytest.raises(sources.BadMonth, match="vừa kết thúc"):
            snapshot.take(last, Filters(), month_end(last) + timedelta(minutes=1))
