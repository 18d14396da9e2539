"""Creating and changing user accounts; each call is one transaction."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth import passwords
from ..auth.operations import end_sessions
from ..errors import Invalid, StaleEdit
from ..extensions import db
from ..models import User
from ..records import save


def check(data: dict, password: str | None, user: User | None = None,
          actor: User | None = None) -> None:
    """An email names one account; a producer account names its producer; passwords are long;
    an administrator (`actor`) editing their own account cannot take away their own rights.
    Inline validation calls this with a partly filled form, so missing values are skipped."""
    errors: dict[str, list[str]] = {}
    if user is not None and actor is not None and actor.id == user.id \
            and user.role == "admin" and data["role"] != "admin":
        errors["role"] = [_("Bạn không thể tự hạ quyền quản trị của chính mình; hãy nhờ một "
                            "quản trị viên khác.")]
    email = (data.get("email") or "").strip().lower()
    taken = email and db.session.scalar(select(User).where(
        func.lower(User.email) == email, User.id != (user.id if user else -1)))
    if taken:
        errors["email"] = [_("Đã có tài khoản với thư điện tử %(email)s.", email=email)]
    if data["role"] == "producer" and data.get("producer") is None:
        errors["producer"] = [_("Tài khoản chủ thể phải gắn với một chủ thể.")]
    if data["role"] != "producer" and data.get("producer") is not None:
        errors["producer"] = [_("Chỉ tài khoản chủ thể mới gắn với chủ thể.")]
    reason = passwords.problem(password or "", email) if user is None or password else None
    if reason:
        errors["password"] = [reason]
    if errors:
        raise Invalid(errors)


def create_user(data: dict, password: str) -> User:
    """A new account."""
    return update_user(User(), data, password)


def update_user(user: User, data: dict, password: str | None = None,
                version: int | None = None, actor: User | None = None) -> User:
    """Change an account as loaded at `version`; a password is set only when given; `actor` is
    the administrator making the change."""
    if version is not None and version != user.version:
        raise StaleEdit()  # before the password is touched, so a refused edit changes nothing
    check(data, password, user if user.id else None, actor)
    data = {**data, "email": data["email"].strip().lower()}
    if password:
        if user.id:  # a new password closes the doors the old one opened
            end_sessions(user)
        user.set_password(password)
    conflict = Invalid.one("email", _("Thư điện tử này vừa được dùng cho tài khoản khác."))
    return save(user, data, version, conflict)


def set_active(user: User, active: bool, actor: User | None = None) -> User:
    """Deactivate or reactivate an account; an administrator cannot lock themselves out."""
    if actor is not None and actor.id == user.id and not active:
        raise Invalid.one("active", _("Bạn không thể tự khoá tài khoản của chính mình."))
    if user.active == active:
        return user
    if not active:
        end_sessions(user)
    return save(user, {"active": active})
