"""Pieces every form shares: Vietnamese messages for WTForms' built-in checks, the version."""

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.utils import unset_value
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

# WTForms ships no Vietnamese catalogue; these are the messages our forms can show.
WTFORMS_VI = {
    "This field is required.": "Trường này bắt buộc.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Not a valid date value.": "Ngày không hợp lệ.",
    "Not a valid integer value.": "Cần một số nguyên.",
    "Not a valid float value.": "Cần một số.",
    "Not a valid decimal value.": "Cần một số.",
    "Invalid email address.": "Địa chỉ thư không hợp lệ.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at most %(max)d character long.": "Tối đa %(max)d ký tự.",
    "Field must be at most %(max)d characters long.": "Tối đa %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.":
        "Cần từ %(min)d đến %(max)d ký tự.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số tối đa là %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải từ %(min)s đến %(max)s.",
    "Field must be equal to %(other_name)s.": "Phải trùng với trường %(other_name)s.",
    "The CSRF token is missing.": "Thiếu mã bảo vệ biểu mẫu; hãy tải lại trang.",
    "The CSRF token is invalid.": "Mã bảo vệ biểu mẫu không hợp lệ; hãy tải lại trang.",
    "The CSRF token has expired.": "Mã bảo vệ biểu mẫu đã hết hạn; hãy tải lại trang.",
    "The CSRF tokens do not match.": "Mã bảo vệ biểu mẫu không khớp; hãy tải lại trang.",
    "File does not have an approved extension: %(extensions)s":
        "Tệp không có đuôi được chấp nhận: %(extensions)s",
    "This field requires a file.": "Cần chọn một tệp.",
}


class _Messages:
    """The `translations` object WTForms asks: Vietnamese when the user reads Vietnamese."""

    def gettext(self, message: str) -> str:
        return WTFORMS_VI.get(message, message) if str(get_locale()) == "vi" else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class Form(FlaskForm):
    """The base of every form in the app."""

    class Meta:
        def get_translations(self, form):
            return _Messages()


class VersionField(IntegerField):
    """The hidden version a record form was loaded at. A submitted form has only the version it
    sent: WTForms would fill a missing field from the record being edited, that is from its
    current version, and so wave through the very edit the check exists to stop."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None and not self.raw_data:
            self.data = None


class RecordForm(Form):
    """A form that edits one record and carries the version it was loaded at (None when the
    form sent none: `web.edit_form` refuses that for a record already saved)."""

    version = VersionField(widget=HiddenInput(), validators=[Optional()])

    def data_for_save(self) -> dict:
        """The field values an operation applies, without the form's own bookkeeping; a blank
        text box is no value (None), as an empty cell of an imported workbook is, so a record
        saved on the web and re-imported from its export compares equal."""
        return {k: None if isinstance(v, str) and not v.strip() else v
                for k, v in self.data.items() if k not in ("version", "csrf_token")}
