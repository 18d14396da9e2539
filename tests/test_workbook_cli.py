"""`ocop import FILE [--dry-run]` and `ocop export FILE`."""

from openpyxl import load_workbook

from ocop.extensions import db
from ocop.models import AuditEntry

from .workbooks import counts, product_row, sample_workbook


def invoke(app, *args):
    """Run the `ocop` command group (Click 8.2+ keeps stdout and stderr apart)."""
    return app.test_cli_runner().invoke(args=["ocop", *args])


def test_import_applies_a_clean_file_and_says_what_it_did(app, tmp_path):
    result = invoke(app, "import", str(sample_workbook(tmp_path / "tinh.xlsx")))
    assert result.exit_code == 0, result.output
    assert "Đã nhập xong." in result.stdout
    assert "Sản phẩm: 3 mới, 0 thay đổi, 0 giữ nguyên" in result.stdout
    with app.app_context():
        assert counts()["Product"] == 3
        actors = set(db.session.scalars(db.select(AuditEntry.actor).where(
            AuditEntry.entity == "product")))
        assert actors == {"cli:import tinh.xlsx"}


def test_import_with_errors_prints_them_and_exits_1(app, tmp_path):
    path = sample_workbook(tmp_path / "tinh.xlsx", products=[product_row(stars=7)])
    with app.app_context():
        before = counts()
    result = invoke(app, "import", str(path))
    assert result.exit_code == 1
    assert "Sản phẩm dòng 2 [Số sao] “7”: Số sao phải từ 3 đến 5." in result.stderr
    assert "Tệp có 2 lỗi; không có gì được ghi." in result.stderr  # and LC-102's listing
    with app.app_context():
        assert counts() == before


def test_dry_run_writes_nothing(app, tmp_path):
    result = invoke(app, "import", "--dry-run", str(sample_workbook(tmp_path / "tinh.xlsx")))
    assert result.exit_code == 0
    assert "chạy thử" in result.stdout and "Gian hàng: 3 mới" in result.stdout
    with app.app_context():
        assert counts()["Product"] == 0


def test_import_of_a_missing_file_is_refused_by_click(app, tmp_path):
    result = invoke(app, "import", str(tmp_path / "khong-co.xlsx"))
    assert result.exit_code == 2


def test_export_xlsx_and_csv(app, catalogue, tmp_path):
    result = invoke(app, "export", str(tmp_path / "out.xlsx"))
    assert result.exit_code == 0, result.output
    assert load_workbook(tmp_path / "out.xlsx").sheetnames == ["Sản phẩm", "Gian hàng"]
    result = invoke(app, "export", str(tmp_path / "out.csv"))
    assert result.exit_code == 0
    assert str(tmp_path / "out-gian-hang.csv") in result.stdout
    assert (tmp_path / "out-gian-hang.csv").read_text("utf-8-sig").count("\n") == 2
    result = invoke(app, "import", str(tmp_path / "out.xlsx"))
    assert result.exit_code == 0 and "Sản phẩm: 0 mới, 0 thay đổi, 3 giữ nguyên" in result.stdout


def test_export_to_another_format_is_refused(app, tmp_path):
    result = invoke(app, "export", str(tmp_path / "out.ods"))
    assert result.exit_code == 1
    assert ".xlsx hoặc .csv" in result.output


def test_import_reports_a_clash_while_writing(app, tmp_path, monkeypatch):
    from ocop.workbook import cli
    from ocop.workbook.apply import ApplyConflict

    def clash(plan):
        raise ApplyConflict()

    monkeypatch.setattr(cli, "apply", clash)
    result = invoke(app, "import", str(sample_workbook(tmp_path / "tinh.xlsx")))
    assert result.exit_code == 1 and "không có gì được ghi" in result.stderr


def test_import_stops_after_the_first_problems(app, tmp_path):
    rows = [product_row(f"LC-{n}", stars=1) for n in range(201)]
    result = invoke(app, "import", str(sample_workbook(tmp_path / "a.xlsx", products=rows,
                                                       listings=[])))
    assert result.exit_code == 1
    assert "… và còn lỗi khác: đã dừng kiểm tra sau 200 lỗi." in result.stderr
