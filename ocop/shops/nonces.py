"""The signed, single-use, expiring nonce a connection carries through the marketplace and back.

Shopee's authorization link has no `state` parameter (issue 12), so the redirect address itself
carries the proof: a random id signed with the app's secret (itsdangerous, timestamped), whose
row says who started the connection for which producer, and is burnt when the seller returns.
"""

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, update

from ..errors import Invalid
from ..extensions import db
from ..models import Marketplace, Producer, ShopNonce, User

SALT = "ocop.shops.connect"
KEEP = timedelta(days=2)  # burnt and stale nonces are deleted after this


def serializer() -> URLSafeTimedSerializer:
    """Signs with the app's secret key; the salt keeps these tokens apart from any other."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue(user: User, producer: Producer, marketplace: Marketplace, now: datetime) -> str:
    """A new nonce for this connection, signed (URL-safe); not committed. Old ones are swept
    on the way."""
    db.session.execute(delete(ShopNonce).where(ShopNonce.created_at < now - KEEP))
    nonce = ShopNonce(id=secrets.token_urlsafe(32), user_id=user.id, producer_id=producer.id,
                      marketplace_id=marketplace.id, created_at=now)
    db.session.add(nonce)
    return serializer().dumps(nonce.id)


def burn(token: str, user: User, marketplace: Marketplace, now: datetime) -> ShopNonce:
    """The nonce `token` names, marked used (committed) so it never serves twice; Invalid when
    the token is forged, too old, already used, or another person's or marketplace's."""
    seconds = int(current_app.config["SHOP_CONNECT_SECONDS"])
    try:
        nonce_id = serializer().loads(token, max_age=seconds)
    except SignatureExpired:
        raise Invalid.one("", _("Lần kết nối này đã quá %(minutes)d phút nên không còn dùng "
                                "được. Hãy bắt đầu kết nối lại.", minutes=seconds // 60)) from None
    except BadSignature:
        raise forged() from None
    nonce = db.session.get(ShopNonce, nonce_id) if isinstance(nonce_id, str) else None
    if nonce is None or nonce.user_id != user.id or nonce.marketplace_id != marketplace.id:
        raise forged()
    burnt = db.session.execute(update(ShopNonce).where(
        ShopNonce.id == nonce.id, ShopNonce.used_at.is_(None)).values(used_at=now))
    db.session.commit()
    if burnt.rowcount != 1:
        raise Invalid.one("", _("Đường dẫn trả về này đã được dùng một lần nên không dùng lại "
                                "được. Nếu gian hàng chưa kết nối, hãy bắt đầu kết nối lại."))
    return nonce


def forged() -> Invalid:
    """The refusal of a callback this app did not start for this person."""
    return Invalid.one("", _("Đường dẫn trả về không phải do trang này tạo cho bạn nên không "
                             "được chấp nhận. Hãy bắt đầu kết nối từ trang gian hàng của chủ "
                             "thể."))
