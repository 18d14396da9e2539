"""The upload and confirm forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from .uploads import TOKEN_PATTERN


class UploadForm(FlaskForm):
    """The workbook to check; nothing is written until the officer confirms."""

    file = FileField(_l("Tệp Excel (.xlsx) hoặc CSV"), validators=[
        FileRequired(_l("Hãy chọn một tệp.")),
        FileAllowed(["xlsx", "csv"], _l("Chỉ nhận tệp Excel .xlsx hoặc tệp .csv.")),
    ])


class ConfirmForm(FlaskForm):
    """Apply the upload the preview showed."""

    token = HiddenField(validators=[DataRequired(), Regexp(TOKEN_PATTERN)])
