"""The forms of an attestation: the person's word with their screenshot, and a withdrawal."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import Form
from .images import MEDIA_TYPES


class AttestationForm(Form):
    """ "Tôi thấy sản phẩm đang bán ngày DATE", a screenshot and an optional note; the rules
    (the day, the listing, the image) are the operation's, so they hold outside the web too."""

    seen_on = DateField(_l("Tôi thấy sản phẩm đang bán ngày"), validators=[Optional()])
    image = FileField(_l("Ảnh chụp màn hình trang đang bán"),
                      description=_l("Ảnh JPEG, PNG hoặc WebP. Thông tin kèm ảnh (vị trí, máy "
                                     "chụp) được xoá trước khi lưu."),
                      render_kw={"accept": ", ".join(MEDIA_TYPES.values())})
    note = TextAreaField(_l("Ghi chú (không bắt buộc)"),
                         validators=[Optional(), Length(max=1000)])


class WithdrawalForm(Form):
    """Why an attestation is withdrawn; an officer withdrawing someone else's must say."""

    reason = TextAreaField(_l("Lý do"), validators=[Optional(), Length(max=1000)])
