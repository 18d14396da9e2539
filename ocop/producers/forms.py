"""The producer form."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..forms import RecordForm
from ..models import PRODUCER_KINDS


class ProducerForm(RecordForm):
    """Create or edit a producer."""

    name = StringField(_l("Tên chủ thể"), validators=[DataRequired(), Length(max=255)])
    kind = SelectField(_l("Loại hình"),
                       choices=[SelectChoice(k, v) for k, v in PRODUCER_KINDS.items()])
    tax_code = StringField(_l("Mã số thuế"), validators=[
        Optional(), Regexp(r"^\d{10}(-\d{3})?$",
                           message=_l("Mã số thuế gồm 10 chữ số, hoặc 10 chữ số và -3 số."))])
    representative = StringField(_l("Người đại diện"), validators=[Optional(), Length(max=255)])
    phone = StringField(_l("Điện thoại"), validators=[
        Optional(), Regexp(r"^[0-9 +().-]{8,20}$", message=_l("Số điện thoại không hợp lệ."))])
    email = EmailField(_l("Thư điện tử"), validators=[
        Optional(), Email(message=_l("Địa chỉ thư không hợp lệ.")), Length(max=255)])
    province = StringField(_l("Tỉnh"), validators=[DataRequired(), Length(max=100)])
    commune = StringField(_l("Xã/Phường"), validators=[Optional(), Length(max=100)])
    address = TextAreaField(_l("Địa chỉ"), validators=[Optional(), Length(max=1000)])
