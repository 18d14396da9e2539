"""The sign-in form."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from ..forms import Form


class LoginForm(Form):
    """Email and password."""

    email = EmailField(_l("Thư điện tử"), validators=[DataRequired()])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired()])
