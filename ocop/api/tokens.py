"""API tokens: made and revoked by their owner, shown once, kept only as a SHA-256 hash."""

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import Invalid
from ..extensions import db
from ..models import ApiToken, User, utcnow

PREFIX = "ocop_"
DISPLAY = len(PREFIX) + 6  # characters kept in clear so the owner can tell tokens apart
# Writing the last use on every request would turn each read into a write; once a minute is
# enough to tell a token in use from a forgotten one.
TOUCH_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    """The SHA-256 of a token: a random 256-bit secret needs no salt or slow hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`, and its secret (never stored, so shown only this once)."""
    name = (name or "").strip()
    if not name:
        raise Invalid.one("name", _("Hãy đặt tên cho khoá để nhận ra nó sau này."))
    if len(name) > 100:
        raise Invalid.one("name", _("Tên khoá dài tối đa %(n)d ký tự.", n=100))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=secret[:DISPLAY], token_hash=digest(secret),
                     created_at=utcnow())
    db.session.add(token)
    db.session.commit()
    return token, secret


def revoke_token(token: ApiToken) -> ApiToken:
    """Stop `token` opening the API; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def user_tokens(user: User) -> list[ApiToken]:
    """A user's tokens, newest first, revoked ones included (with when)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def authenticate(secret: str) -> ApiToken | None:
    """The live token of an active account whose secret this is, its last use noted; else None."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        db.session.commit()
    return token
