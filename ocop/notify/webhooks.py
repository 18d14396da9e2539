"""Webhook addresses: which may be used (the rule the pages that set one and the sender share),
and setting, replacing or removing a user's own or the province's (each one transaction).

A webhook receives each notification as a JSON body POSTed with the headers
`X-OCOP-Timestamp` (seconds since 1970, UTC) and
`X-OCOP-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." + raw body>`, keyed with the
webhook's secret (its text as shown once, as UTF-8 bytes). The secret is kept sealed
(ocop.shops.vault) and never shown again.
"""

import secrets
from urllib.parse import urlsplit, urlunsplit

from flask import current_app
from flask_babel import gettext as _

from scrapers.guard import Guard
from scrapers.model import FetchError

from ..config import allowed_endpoints, allowed_networks
from ..errors import Invalid
from ..extensions import db
from ..models import User, Webhook
from ..shops import vault

MAX_LENGTH = 2000  # Webhook.url


def guard(config=None) -> Guard:
    """The SSRF guard as the checker builds it from the app's settings (`config`, else the
    current app's): private addresses are barred unless OCOP_SCRAPER_ALLOWED_NETWORKS or
    _ENDPOINTS open them (tests, the demo). Entering a webhook and sending to it use it both."""
    config = config if config is not None else current_app.config
    resolver = config.get("SCRAPER_RESOLVER")
    return Guard(allowed_networks(config["SCRAPER_ALLOWED_NETWORKS"]),
                 resolver if callable(resolver) else None,
                 allowed_endpoints(config["SCRAPER_ALLOWED_ENDPOINTS"]))


def vet(url: str, using: Guard | None = None) -> str:
    """`url` tidied, if notifications may be POSTed to it: http or https, a host, no user name
    or password (the address is shown in the history), and every address the host resolves to
    public. Otherwise Invalid on the field "url", in the reader's language."""
    url = (url or "").strip()
    if not url:
        raise Invalid.one("url", _("Hãy nhập địa chỉ webhook."))
    if len(url) > MAX_LENGTH:
        raise Invalid.one("url", _("Địa chỉ webhook dài quá %(n)d ký tự.", n=MAX_LENGTH))
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise Invalid.one("url", _("Địa chỉ webhook không hợp lệ.")) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise Invalid.one("url", _("Địa chỉ webhook phải bắt đầu bằng http:// hoặc https:// "
                                   "và có tên máy chủ, ví dụ https://hooks.example.vn/ocop."))
    if parts.username is not None or parts.password is not None:
        raise Invalid.one("url", _("Đừng ghi tên đăng nhập hay mật khẩu trong địa chỉ webhook: "
                                   "chữ ký của mỗi thông báo đã chứng minh nó từ đâu tới."))
    try:
        (using or guard()).resolve(parts.hostname, port)
    except FetchError:
        raise Invalid.one("url", _("Địa chỉ webhook trỏ tới một địa chỉ nội bộ (%(host)s): chỉ "
                                   "gửi được tới địa chỉ công cộng trên Internet.",
                                   host=parts.hostname)) from None
    except (OSError, UnicodeError):
        raise Invalid.one("url", _("Không tìm thấy máy chủ %(host)s: hãy kiểm tra lại tên.",
                                   host=parts.hostname)) from None
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/",
                       parts.query, ""))


def of_user(user: User) -> Webhook | None:
    """`user`'s own webhook, if they set one."""
    return db.session.scalar(db.select(Webhook).filter_by(scope="user", user_id=user.id))


def of_province() -> Webhook | None:
    """The province's webhook, if an administrator set one."""
    return db.session.scalar(db.select(Webhook).filter_by(scope="province"))


def save(url: str, user: User | None = None) -> tuple[Webhook, str]:
    """Set or replace `user`'s webhook (None: the province's) with a new secret; returns the
    webhook and the secret, which only this answer can show."""
    url = vet(url)
    hook = of_user(user) if user else of_province()
    if hook is None:
        hook = Webhook(scope="user" if user else "province", user_id=user.id if user else None)
        db.session.add(hook)
    secret = secrets.token_urlsafe(32)
    hook.url, hook.secret_sealed = url, vault.seal(secret)
    db.session.commit()
    return hook, secret


def remove(user: User | None = None) -> bool:
    """Remove `user`'s webhook (None: the province's); whether there was one."""
    hook = of_user(user) if user else of_province()
    if hook is not None:
        db.session.delete(hook)
        db.session.commit()
    return hook is not None

