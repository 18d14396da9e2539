"""Workbook pages: upload, preview what would change, confirm; and the exports."""

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..web import render, role_required, role_required_handler
from . import uploads
from .apply import ApplyConflict, apply
from .export import csv_bytes, xlsx_bytes
from .forms import ConfirmForm, UploadForm
from .headers import LISTINGS, PRODUCTS
from .validate import validate

bp = Blueprint("workbook", __name__, url_prefix="/workbook")

PREVIEW_ROWS = 20
# What the preview calls the fields a change touches.
LABELS = {
    "name": _l("Tên sản phẩm"), "producer_id": _l("Chủ thể"), "category": _l("Nhóm sản phẩm"),
    "stars": _l("Số sao"), "decision_no": _l("Số quyết định"),
    "certified_on": _l("Ngày công nhận"), "expires_on": _l("Ngày hết hạn"),
    "kind": _l("Loại hình chủ thể"), "tax_code": _l("Mã số thuế"), "commune": _l("Xã/Phường"),
    "province": _l("Tỉnh"),
}


def page(form: UploadForm, plan=None, confirm: ConfirmForm | None = None, name: str = "",
         stale: bool = False):
    """The workbook page, or only its result part for the htmx upload."""
    return render("workbook/index.html", "result", form=form, plan=plan, confirm=confirm,
                  name=name, stale=stale, preview_rows=PREVIEW_ROWS, labels=LABELS,
                  max_mb=current_app.config["MAX_CONTENT_LENGTH"] // 2**20)


@bp.get("/")
@role_required("officer")
def index():
    """The upload form and the export downloads."""
    return page(UploadForm())


@bp.post("/upload")
@role_required("officer")
def upload():
    """Check an uploaded file and show what importing it would change, or what is wrong."""
    form = UploadForm()
    if not form.validate_on_submit():
        return page(form)
    stored = uploads.store(form.file.data)
    plan = validate(stored.path, stored.name)
    confirm = None
    if plan.ok and plan.changes_anything:
        confirm = ConfirmForm(token=stored.token)
    else:
        uploads.discard(stored)  # nothing to confirm: do not keep it
    return page(form, plan, confirm, stored.name)


@bp.errorhandler(RequestEntityTooLarge)
@role_required_handler("officer")
def too_large(_error):
    """An oversized upload is a form error like any other, shown beside the form."""
    form = UploadForm(formdata=None)
    form.file.errors = [_("Tệp quá lớn: tối đa %(mb)d MB.",
                          mb=current_app.config["MAX_CONTENT_LENGTH"] // 2**20)]
    return page(form)


@bp.post("/confirm")
@role_required("officer")
def confirm():
    """Apply the previewed upload, checked again: the registry may have changed meanwhile."""
    form = ConfirmForm()
    stored = uploads.find(form.token.data) if form.validate_on_submit() else None
    if stored is None:
        flash(_("Không còn tệp chờ xác nhận; hãy tải tệp lên lại."), "error")
        return redirect(url_for("workbook.index"), 303)
    plan = validate(stored.path, stored.name)
    if not plan.ok:
        uploads.discard(stored)
        return page(UploadForm(formdata=None), plan, None, stored.name, stale=True)
    try:
        apply(plan, current_user.id)
    except ApplyConflict:
        flash(_("Dữ liệu vừa bị thay đổi trong lúc nhập; không có gì được ghi. Hãy thử lại."),
              "error")
        return redirect(url_for("workbook.index"), 303)
    uploads.discard(stored)
    flash(_("Đã nhập %(name)s.", name=stored.name) + " " + plan.summary(), "success")
    return redirect(url_for("workbook.index"), 303)


@bp.get("/export.xlsx")
@role_required("officer")
def export_xlsx():
    """Download the whole registry as the province's workbook."""
    return send_file(xlsx_bytes(), as_attachment=True,
                     download_name=f"ocop-{date.today():%Y-%m-%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/export-<kind>.csv")
@role_required("officer")
def export_csv(kind: str):
    """Download one table as CSV (a CSV file holds one table only)."""
    if kind not in (PRODUCTS, LISTINGS):
        abort(404)
    name = "san-pham" if kind == PRODUCTS else "gian-hang"
    return send_file(csv_bytes(kind), as_attachment=True, mimetype="text/csv",
                     download_name=f"ocop-{name}-{date.today():%Y-%m-%d}.csv")
