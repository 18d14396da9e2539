"""What an unsubscribe link stops: the person and the kind of event its signed token names (or
every kind and all email, "*"). Reading a link changes nothing; only `apply` does."""

from ..extensions import db
from ..models import EVENT_KINDS, User
from . import preferences, tokens


def read(token: str) -> tuple[User, str]:
    """The user and the kind (tokens.EVERY: everything) a link names; BadToken when it is
    forged, too old, or names an account or a kind that does not exist."""
    user_id, kind = tokens.read(token)
    user = db.session.get(User, user_id)
    if user is None or (kind != tokens.EVERY and kind not in EVENT_KINDS):
        raise tokens.BadToken(expired=False)
    return user, kind


def apply(user: User, kind: str) -> None:
    """Stop `kind` for `user` (EVERY: every kind their role hears, and email altogether). A kind
    their role no longer hears needs nothing. One transaction."""
    if kind == tokens.EVERY:
        preferences.choose(user, dict.fromkeys(preferences.kinds(user), "never"))
        user.notify_email = False
    elif kind in preferences.kinds(user):
        preferences.choose(user, {kind: "never"})
    db.session.commit()
