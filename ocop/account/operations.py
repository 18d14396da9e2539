"""Changing one's own language and notifications; each call is one transaction."""

from flask_babel import gettext as _

from ..errors import Invalid
from ..extensions import db
from ..models import EVENT_KINDS, User
from ..notify import preferences
from .forms import LANGUAGES


def set_language(user: User, language: str) -> None:
    """The language of `user`'s pages and messages."""
    if language not in LANGUAGES:
        raise Invalid.one("language", _("Chỉ có tiếng Việt và tiếng Anh."))
    user.language = language
    db.session.commit()


def set_notifications(user: User, notify_email: bool, frequencies: dict[str, str]) -> None:
    """Whether `user` hears by email, and how often of each kind. A kind their role does not
    hear about is refused with nothing saved (a page from before a role change, or a forged
    one): silently dropping it would let the user believe it was saved."""
    refused = [kind for kind in frequencies if kind not in preferences.kinds(user)]
    if refused:
        names = ", ".join(str(EVENT_KINDS.get(kind, kind[:40])) for kind in refused)
        raise Invalid.one("", _("Vai trò của bạn không nhận loại thông báo này: %(kinds)s. "
                                "Chưa lưu gì; hãy tải lại trang.", kinds=names))
    preferences.choose(user, frequencies)
    user.notify_email = notify_email
    db.session.commit()
