"""The password policy, checking a password in constant work, and temporary passwords."""

import secrets
from functools import cache

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..models import User

MIN_LENGTH = 10
# zxcvbn ships the 30,000 passwords most often found in leaks, lower-cased: no network needed.
COMMON = frozenset(FREQUENCY_LISTS["passwords"])
# Temporary passwords avoid look-alike characters (0/O, 1/l/I), since they are read aloud.
TEMPORARY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def problem(password: str, email: str | None = None) -> str | None:
    """Why `password` is refused, in the user's language; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_LENGTH)
    if not password.strip():
        return _("Mật khẩu không được chỉ gồm dấu cách.")
    lowered = password.lower()
    if lowered in COMMON or lowered.replace(" ", "") in COMMON or len(set(lowered)) < 4:
        return _("Mật khẩu này quá phổ biến hoặc quá đơn giản, dễ bị đoán. Hãy chọn mật khẩu "
                 "khác, ví dụ một câu ngắn chỉ bạn biết.")
    if email and lowered in (email.lower(), email.lower().partition("@")[0]):
        return _("Mật khẩu không được trùng với thư điện tử.")
    return None


@cache
def _decoy_hash() -> str:
    """A hash of nothing anyone knows, made the same way as the accounts' hashes."""
    return generate_password_hash(secrets.token_hex(16))


def verify(user: User | None, password: str) -> bool:
    """Whether `password` opens `user`; one hash is checked either way, so the answer takes
    as long for an address no account has as for one that exists."""
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return False
    return user.check_password(password)


def temporary() -> str:
    """A password to read to someone once: 16 random characters in four groups."""
    chars = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(16))
    return "-".join(chars[i:i + 4] for i in range(0, 16, 4))
