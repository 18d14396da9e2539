"""Unsubscribe links: the user and the kind of event (or every kind, "*") signed with the app's
secret and timestamped (itsdangerous), so that a link works without signing in, and a forged or
an old one does not."""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "ocop-unsubscribe"
MAX_AGE = 90 * 24 * 3600  # a link in a message works for 90 days
EVERY = "*"
PATH = "/notifications/unsubscribe/"  # + token: the confirm page (GET) and its POST, RFC 8058


class BadToken(ValueError):
    """A link that was forged (`expired` False) or is too old (`expired` True)."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "forged")
        self.expired = expired


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make(user_id: int, kind: str = EVERY) -> str:
    """The token that unsubscribes `user_id` from `kind` (EVERY: from everything)."""
    return serializer().dumps({"u": user_id, "k": kind})


def read(token: str) -> tuple[int, str]:
    """(user id, kind) of a token; raises BadToken."""
    try:
        payload = serializer().loads(token, max_age=MAX_AGE)
    except SignatureExpired:
        raise BadToken(expired=True) from None
    except BadSignature:
        raise BadToken(expired=False) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise BadToken(expired=False)
    return payload["u"], str(payload.get("k", EVERY))


def link(user_id: int, kind: str = EVERY) -> str:
    """The absolute unsubscribe address (on OCOP_PUBLIC_URL) for a message."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + PATH + make(user_id, kind)
