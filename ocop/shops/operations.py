"""Connecting, refreshing and disconnecting shops.

The platform clients (`scrapers.openplatform`) speak to the marketplaces; these functions keep
what they return: the grant, sealed (`vault`), and the connection's state and last error. A
person's action (begin, complete, disconnect) and `refresh_due` commit their changes; complete
commits the burnt nonce first, so it never serves twice. What a run calls (usable_grant, renew,
failed) leaves the commit to the run.
"""

from datetime import datetime, timedelta
from types import ModuleType
from urllib.parse import urlencode, urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from scrapers.openplatform import AuthRevoked, Grant, Partner, PlatformError

from ..errors import Invalid
from ..extensions import db
from ..models import LIVE_SHOP_STATES, Marketplace, Producer, ShopConnection, User
from . import nonces, platforms, vault

# An access token lapsing sooner than this is refreshed before the API is asked with it.
USE_MARGIN = timedelta(minutes=5)


def lapse() -> timedelta:
    """How early an authorization about to lapse is flagged (OCOP_SHOP_LAPSE_DAYS)."""
    return timedelta(days=float(current_app.config["SHOP_LAPSE_DAYS"]))


def platform(marketplace: Marketplace) -> tuple[ModuleType, Partner]:
    """The marketplace's platform module and the province's partner on it; Invalid when this
    marketplace cannot be connected here."""
    module = platforms.module(marketplace.adapter)
    partner = platforms.partner(marketplace.adapter) if module else None
    if module is None or partner is None:
        raise Invalid.one("", _("Tỉnh chưa thiết lập kết nối với %(name)s nên chưa kết nối gian "
                                "hàng trên sàn này được.", name=marketplace.name))
    return module, partner


def public_url() -> str:
    """OCOP_PUBLIC_URL without its trailing slash; Invalid when unset."""
    url = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    if not url:
        raise Invalid.one("", _("Chưa đặt địa chỉ công khai của trang (OCOP_PUBLIC_URL) nên sàn "
                                "không biết gửi người bán quay về đâu. Hãy nhờ quản trị viên "
                                "đặt địa chỉ này."))
    return url


def connectable(marketplace: Marketplace) -> str | None:
    """Why shops on `marketplace` cannot be connected now, or None when they can."""
    try:
        platform(marketplace)
        public_url()
    except Invalid as exc:
        return exc.text()
    return None


def authorization_origin(marketplace: Marketplace, now: datetime) -> str:
    """Where the marketplace's authorization link leads (scheme://host[:port])."""
    module, partner = platform(marketplace)
    parts = urlsplit(module.authorize_url(partner, public_url(), now))
    return f"{parts.scheme}://{parts.netloc}"


def begin(producer: Producer, marketplace: Marketplace, user: User, now: datetime) -> str:
    """Start connecting a shop of `producer` on `marketplace`: the marketplace's authorization
    link, whose way back carries a new nonce (committed)."""
    module, partner = platform(marketplace)
    base = public_url()
    token = nonces.issue(user, producer, marketplace, now)
    db.session.commit()
    redirect = f"{base}/shops/callback/{marketplace.slug}?{urlencode({'nonce': token})}"
    return module.authorize_url(partner, redirect, now)


def complete(marketplace: Marketplace, query, user: User, http: requests.Session,
             now: datetime) -> ShopConnection:
    """The seller is back from the marketplace with `query`: burn the nonce it carries, then
    exchange the code for a grant and keep it. Invalid, with nothing changed but the burnt
    nonce, when the nonce is not good, the seller refused, the shop belongs to another producer
    or the exchange failed."""
    module, partner = platform(marketplace)
    args = module.returned(query)  # the app's own parameters, wherever the platform put them
    nonce = nonces.burn(str(args.get("nonce", "")), user, marketplace, now)
    producer = db.session.get(Producer, nonce.producer_id)
    try:
        code, shop_id = module.callback(args)
    except PlatformError as exc:
        raise Invalid.one("", _("%(name)s không cho kết nối (%(why)s). Gian hàng chưa được kết "
                                "nối.", name=marketplace.name, why=reason(exc))) from None
    if shop_id:  # known before the exchange (Shopee): refuse without spending the code
        owned_elsewhere(marketplace, shop_id, producer)
    try:
        grant = module.exchange(partner, code, shop_id, http, now)
    except (PlatformError, requests.RequestException) as exc:
        raise Invalid.one("", _("%(name)s không cấp quyền cho gian hàng (%(why)s). Gian hàng chưa "
                                "được kết nối; hãy thử lại.", name=marketplace.name,
                                why=reason(exc))) from None
    connection = owned_elsewhere(marketplace, grant.shop_id, producer)
    if connection is None:
        connection = ShopConnection(marketplace=marketplace, shop_id=grant.shop_id)
    connection.producer = producer
    connection.created_at, connection.created_by_id, connection.created_by = (
        now, user.id, user.email)
    keep(connection, grant, now)
    db.session.add(connection)  # complete: its audit entry is one create, not a create and edits
    db.session.commit()
    return connection


def owned_elsewhere(marketplace: Marketplace, shop_id: str,
                    producer: Producer) -> ShopConnection | None:
    """The shop's connection, if any; Invalid when another producer holds it (a disconnected
    one may be taken over)."""
    connection = db.session.scalar(select(ShopConnection).where(
        ShopConnection.marketplace_id == marketplace.id, ShopConnection.shop_id == shop_id))
    if connection is not None and connection.producer_id != producer.id \
            and connection.state != "disconnected":
        raise Invalid.one("", _("Gian hàng %(shop)s trên %(name)s đã được kết nối với chủ thể "
                                "khác (%(other)s). Mỗi gian hàng chỉ thuộc một chủ thể; không "
                                "có gì thay đổi.", shop=shop_id, name=marketplace.name,
                                other=connection.producer.name))
    return connection


def disconnect(connection: ShopConnection) -> None:
    """Stop asking the marketplace for this shop and forget its tokens."""
    connection.state = "disconnected"
    connection.access_token_sealed = connection.refresh_token_sealed = None
    connection.access_expires = connection.refresh_expires = None
    db.session.commit()


def keep(connection: ShopConnection, grant: Grant, now: datetime) -> None:
    """Store a new grant, sealed, and what it says of the connection (not committed)."""
    connection.access_token_sealed = vault.seal(grant.access_token)
    connection.refresh_token_sealed = vault.seal(grant.refresh_token)
    connection.access_expires, connection.refresh_expires = (grant.access_expires,
                                                             grant.refresh_expires)
    connection.shop_name = grant.shop_name or connection.shop_name or ""
    connection.extra = dict(grant.extra)
    connection.refreshed_at = now
    connection.last_error = connection.last_error_at = None
    connection.state = "connected"  # a new grant ends a revocation; how near its end, then:
    connection.state = connection.standing(now, lapse())


def grant_of(connection: ShopConnection) -> Grant:
    """The connection's grant, unsealed."""
    return Grant(shop_id=connection.shop_id,
                 access_token=vault.unseal(connection.access_token_sealed or ""),
                 refresh_token=vault.unseal(connection.refresh_token_sealed or ""),
                 access_expires=connection.access_expires,
                 refresh_expires=connection.refresh_expires,
                 shop_name=connection.shop_name, extra=dict(connection.extra or {}))


def reason(exc: Exception) -> str:
    """A failure in a few words: the marketplace's documented code and message, or ours."""
    if isinstance(exc, Invalid):
        return exc.text()[:300]
    if isinstance(exc, PlatformError):
        return " ".join(part for part in (exc.code, exc.message) if part)[:300]
    if isinstance(exc, vault.InvalidToken):
        return "sealed tokens unreadable: OCOP_TOKEN_KEY is not the key they were sealed with"
    return f"{type(exc).__name__}: {exc}"[:300]


def failed(connection: ShopConnection, exc: Exception, now: datetime) -> None:
    """Note why the marketplace could not be asked; a lost authorization (or tokens no longer
    readable) ends the connection until the shop is connected again (not committed)."""
    connection.last_error, connection.last_error_at = reason(exc), now
    if isinstance(exc, AuthRevoked | vault.InvalidToken):
        connection.state = "revoked"


def renew(connection: ShopConnection, http: requests.Session, now: datetime) -> bool:
    """Refresh the connection's tokens; False (with the reason noted) when that failed. The row
    is locked and read afresh first, and one that another process (a run's other part, the
    hourly refresh) renewed meanwhile is taken as it is: a refresh token is spent by its use, so
    renewing twice would lose the authorization. Not committed: the caller's commit releases
    the lock."""
    seen = connection.access_expires
    db.session.refresh(connection, with_for_update=True)
    if connection.access_expires != seen and connection.state in LIVE_SHOP_STATES:
        return True
    try:
        module, partner = platform(connection.marketplace)
        grant = module.refresh(partner, grant_of(connection), http, now)
    except (Invalid, PlatformError, requests.RequestException, vault.InvalidToken) as exc:
        failed(connection, exc, now)
        return False
    keep(connection, grant, now)
    return True


def usable_grant(connection: ShopConnection, http: requests.Session,
                 now: datetime) -> Grant | None:
    """A grant good for asking the API now, refreshed first if its access token is about to
    lapse; None when the connection cannot be used (the reason is noted). Not committed."""
    if connection.standing(now, lapse()) not in LIVE_SHOP_STATES:
        return None
    lapsing = connection.access_expires is None or connection.access_expires - now <= USE_MARGIN
    if lapsing and not renew(connection, http, now):
        return None
    try:
        return grant_of(connection)
    except vault.InvalidToken as exc:
        failed(connection, exc, now)
        return None


def due(now: datetime) -> list[ShopConnection]:
    """Connections to refresh now: access tokens lapsing within OCOP_SHOP_REFRESH_MINUTES, or
    authorizations lapsing within OCOP_SHOP_LAPSE_DAYS (refreshing renews them)."""
    soon = now + timedelta(minutes=float(current_app.config["SHOP_REFRESH_MINUTES"]))
    lapsing = now + lapse()
    return list(db.session.scalars(select(ShopConnection).where(
        ShopConnection.state.in_(LIVE_SHOP_STATES),
        (ShopConnection.access_expires.is_(None)) | (ShopConnection.access_expires <= soon)
        | (ShopConnection.refresh_expires <= lapsing)).order_by(ShopConnection.id)))


def refresh_due(now: datetime) -> tuple[int, int]:
    """Refresh every connection that is due, each in its own transaction, then write every live
    connection's state as of now (lapsing, expired); (refreshed, failed)."""
    refreshed = failures = 0
    with requests.Session() as http:
        for connection in due(now):
            if connection.standing(now, lapse()) == "expired":
                continue
            if renew(connection, http, now):
                refreshed += 1
            else:
                failures += 1
            db.session.commit()
    for connection in db.session.scalars(select(ShopConnection).where(
            ShopConnection.state.in_(LIVE_SHOP_STATES))):
        connection.state = connection.standing(now, lapse())
    db.session.commit()
    return refreshed, failures
