"""The user account form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..forms import Form, RecordForm
from ..models import ROLES
from ..products.forms import find_producer


def strip(value: str | None) -> str | None:
    """Spaces pasted around an address are not part of it."""
    return value.strip() if isinstance(value, str) else value


class UserForm(RecordForm):
    """Create or edit an account; an empty password on an edit keeps the current one."""

    email = EmailField(_l("Thư điện tử"), validators=[DataRequired(), Email(), Length(max=255)],
                       filters=[strip])
    name = StringField(_l("Họ tên"), validators=[Optional(), Length(max=255)])
    role = SelectField(_l("Vai trò"), choices=[SelectChoice(k, v) for k, v in ROLES.items()])
    producer = StringField(_l("Chủ thể"), validators=[Optional()],
                           description=_l("Chỉ với tài khoản chủ thể: gõ tên để chọn."))
    # PasswordField never writes the value back into the page.
    password = PasswordField(_l("Mật khẩu"), validators=[Optional(), Length(max=200)],
                             description=_l("Ít nhất 10 ký tự, không phải mật khẩu phổ biến. "
                                            "Khi sửa tài khoản, để trống để giữ mật khẩu hiện "
                                            "tại; đặt mật khẩu mới sẽ đăng xuất tài khoản khỏi "
                                            "mọi thiết bị."))

    producer_record = None

    def validate_producer(self, field) -> None:
        """A typed producer must be one the registry knows; empty means none."""
        self.producer_record = find_producer(field.data) if field.data else None
        if field.data and self.producer_record is None:
            raise ValidationError(_l("Chọn một chủ thể có trong danh sách."))

    def data_for_save(self) -> dict:
        data = super().data_for_save()
        del data["password"]  # the operation takes it apart from the account's fields
        data["producer"] = self.producer_record
        data["name"] = (data["name"] or "").strip() or None
        return data


class TokenForm(FlaskForm):
    """Name a new API key, so its owner can tell it from the others later."""

    name = StringField(_l("Tên khoá"), validators=[DataRequired(), Length(max=100)],
                       filters=[strip],
                       description=_l("Ví dụ: “Báo cáo tháng của Sở” hoặc tên máy chạy."))


class PasswordForm(Form):
    """Change one's own password: the current one proves it is the owner at the keyboard."""

    current_password = PasswordField(_l("Mật khẩu hiện tại"),
                                     validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(
        _l("Mật khẩu mới"), validators=[DataRequired(), Length(max=200)],
        description=_l("Ít nhất 10 ký tự, không phải mật khẩu phổ biến. Một câu ngắn dễ nhớ "
                       "là mật khẩu tốt."))
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(),
        EqualTo("new_password", message=_l("Hai lần nhập mật khẩu mới khác nhau."))])
