"""Signing in, ending sessions, and changing or resetting passwords; each call that changes
something is one transaction."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..errors import Invalid
from ..extensions import db
from ..models import SignIn, User
from . import passwords, throttle


@dataclass(frozen=True)
class Attempt:
    """How a sign-in ended: the account when it opened, else the message to show and, for a
    lockout, the seconds to wait."""

    user: User | None = None
    error: str | None = None
    retry_after: int = 0


def load_session_user(session_id: str) -> User | None:
    """The account a session cookie names, if the cookie is from its current epoch."""
    user_id, _dot, epoch = session_id.partition(".")
    if not (user_id.isdigit() and epoch.isdigit()) or len(user_id) > 18:
        return None  # a cookie from before epochs, or not one of ours
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.session_epoch == int(epoch) else None


def _set_account_state(user: User, **values) -> None:
    """Change bookkeeping columns without counting it as an edit of the account (an officer's
    open form of it must not turn stale because its owner signed out)."""
    db.session.execute(update(User).where(User.id == user.id).values(**values))
    db.session.expire(user, list(values))


def end_sessions(user: User) -> None:
    """Make every session cookie issued to `user` so far worthless (in the caller's
    transaction)."""
    _set_account_state(user, session_epoch=User.session_epoch + 1)


def sign_in(email: str, password: str, address: str) -> Attempt:
    """Check a sign-in and record it. Every path does the same work (one password hash, one
    row written), so neither the answer nor its timing tells whether the address has an
    account; failures count toward the temporary lockouts of `throttle`."""
    typed = email.strip().lower()[:255]
    user = db.session.scalar(select(User).where(func.lower(User.email) == typed))
    wait = throttle.wait_seconds(typed, address)
    if wait:
        outcome, attempt = "throttled", Attempt(
            error=_("Đã thử sai quá nhiều lần. Hãy thử lại sau %(minutes)d phút.",
                    minutes=max(1, -(-wait // 60))), retry_after=wait)
    elif not passwords.verify(user, password):
        throttle.failed(typed, address)
        outcome, attempt = "failed", Attempt(error=_("Sai thư điện tử hoặc mật khẩu."))
    elif not user.active:
        outcome, attempt = "inactive", Attempt(error=_("Tài khoản này đã bị khoá."))
    else:
        outcome, attempt = "success", Attempt(user=user)
        if passwords.problem(password, user.email):  # set before today's policy: change it now
            _set_account_state(user, must_change_password=True)
    db.session.add(SignIn(email=typed, user_id=user.id if user else None, address=address,
                          outcome=outcome))
    db.session.commit()
    return attempt


def change_password(user: User, current: str, new: str, address: str) -> None:
    """The owner sets a new password, proving the current one; every other session ends."""
    wait = throttle.wait_seconds(user.email, address)
    if wait:
        raise Invalid.one("current_password", _(
            "Đã thử sai quá nhiều lần. Hãy thử lại sau %(minutes)d phút.",
            minutes=max(1, -(-wait // 60))))
    if not user.check_password(current):
        throttle.failed(user.email, address)
        raise Invalid.one("current_password", _("Mật khẩu hiện tại không đúng."))
    if reason := passwords.problem(new, user.email):
        raise Invalid.one("new_password", reason)
    if user.check_password(new):
        raise Invalid.one("new_password", _("Mật khẩu mới phải khác mật khẩu hiện tại."))
    user.set_password(new)
    db.session.flush()
    _set_account_state(user, must_change_password=False, session_epoch=User.session_epoch + 1)
    db.session.commit()


def may_reset(actor: User, user: User) -> bool:
    """An administrator resets anyone else's password; an officer, a producer's."""
    if actor.id == user.id:
        return False
    return actor.can("admin") or (actor.can("officer") and user.role == "producer")


def reset_password(user: User, actor: User) -> str:
    """Give `user` a temporary password (returned, to be shown once) that must be changed at
    the next sign-in; every session of theirs ends; the audit trail records who did it."""
    if not may_reset(actor, user):
        raise Invalid.one("", _("Bạn không được đặt lại mật khẩu của tài khoản này."))
    temporary = passwords.temporary()
    user.set_password(temporary)
    db.session.flush()
    _set_account_state(user, must_change_password=True, session_epoch=User.session_epoch + 1)
    db.session.commit()
    return temporary
