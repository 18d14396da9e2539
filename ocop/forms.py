"""Pieces every form shares."""

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput


class RecordForm(FlaskForm):
    """A form that edits one record and carries the version it was loaded at."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def data_for_save(self) -> dict:
        """The field values an operation applies, without the form's own bookkeeping."""
        return {k: v for k, v in self.data.items() if k not in ("version", "csrf_token")}
