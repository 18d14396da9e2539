"""`ocop import FILE [--dry-run]` and `ocop export FILE`, called from ocop.cli."""

from pathlib import Path

import click
from flask_babel import gettext as _

from ..audit import acting_as
from .apply import ApplyConflict, apply
from .export import export
from .validate import validate


def problem_line(problem) -> str:
    """One problem as a line: sheet, row, column, value, then what is wrong."""
    where = problem.sheet
    if problem.row is not None:
        where += " " + _("dòng %(row)d", row=problem.row)
    if problem.column:
        where += f" [{problem.column}]"
    value = f" “{problem.value}”" if problem.value else ""
    return f"{where}{value}: {problem.message}"


def run_import(path: str, dry_run: bool) -> int:
    """Validate `path` and, unless `dry_run`, apply it; 0 when all is well, 1 on problems."""
    plan = validate(path)
    if not plan.ok:
        for problem in plan.problems:
            click.echo(problem_line(problem), err=True)
        if plan.stopped:
            click.echo(_("… và còn lỗi khác: đã dừng kiểm tra sau %(n)d lỗi.",
                         n=plan.problem_count), err=True)
        click.echo(_("Tệp có %(n)d lỗi; không có gì được ghi.", n=plan.problem_count),
                   err=True)
        return 1
    if dry_run:
        click.echo(_("Kiểm tra xong, không có lỗi (chạy thử: chưa ghi gì).") + " " +
                   plan.summary())
        return 0
    try:
        with acting_as(f"cli:import {Path(path).name}"):
            apply(plan)
    except ApplyConflict:
        click.echo(_("Dữ liệu vừa bị thay đổi trong lúc nhập; không có gì được ghi. Hãy chạy "
                     "lại."), err=True)
        return 1
    click.echo(_("Đã nhập xong.") + " " + plan.summary())
    return 0


def run_export(path: str) -> None:
    """Export to .xlsx (two sheets) or .csv (products there, listings in FILE-gian-hang.csv)."""
    if Path(path).suffix.lower() not in (".xlsx", ".csv"):
        raise click.ClickException(_("Tên tệp phải kết thúc bằng .xlsx hoặc .csv."))
    for written in export(path):
        click.echo(_("Đã ghi %(path)s", path=str(written)))
