"""The form an administrator sets the province's target with."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FloatField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import RecordForm


class TargetForm(RecordForm):
    """The share of OCOP products that should be online, and by when."""

    share = FloatField(_l("Tỷ lệ sản phẩm có gian hàng trên sàn (%)"),
                       validators=[DataRequired(), NumberRange(min=0.1, max=100)])
    due_on = DateField(_l("Hạn đạt"), validators=[Optional()])
    note = TextAreaField(_l("Căn cứ (kế hoạch, quyết định…)"),
                         validators=[Optional(), Length(max=1000)])
