"""Creating and changing marketplaces and their hosts; each call is one transaction."""

import ipaddress
import re
from contextlib import suppress

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from scrapers import adapters
from scrapers.identity import UrlError, split_host
from scrapers.model import FETCH_METHODS

from ..errors import Invalid
from ..extensions import db
from ..models import ONLINE, Listing, Marketplace, MarketplaceHost
from ..records import save
from ..text import fold


def slugify(name: str) -> str:
    """A short ASCII name: "TikTok Shop" -> "tiktok-shop"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:40]


def normalise_host(text: str) -> str:
    """A host as typed ("Shopee.vn", "http://127.0.0.1:8001/", "[2001:db8::1]:8080", or a bare
    IPv6 address, which takes no port) in the form URLs are matched by."""
    value = text.strip()
    if "://" not in value:
        with suppress(ValueError):
            value = f"[{ipaddress.IPv6Address(value)}]"
    try:
        return split_host(value if "://" in value else f"https://{value}/")[1]
    except UrlError:
        if text.count(":") > 1:  # an IPv6 address was meant
            raise Invalid.one("hosts", _(
                "Địa chỉ IPv6 không hợp lệ: %(host)s (viết trong ngoặc vuông, cổng sau ngoặc, "
                "ví dụ [2001:db8::1]:8080).", host=text)) from None
        raise Invalid.one("hosts", _("Tên miền không hợp lệ: %(host)s", host=text)) from None


def check(data: dict, marketplace: Marketplace | None = None) -> dict:
    """Validate and normalise; returns the data to save. Inline validation calls this with a
    partly filled form, so missing values are skipped rather than refused here."""
    errors: dict[str, list[str]] = {}
    own = marketplace.id if marketplace else -1
    hosts = sorted({normalise_host(h) for h in data.get("hosts") or () if h.strip()})
    if not hosts:
        errors["hosts"] = [_("Cần ít nhất một tên miền.")]
    for host in hosts:
        owner = db.session.scalar(select(Marketplace).join(MarketplaceHost).where(
            MarketplaceHost.host == host, Marketplace.id != own))
        if owner is not None:
            errors.setdefault("hosts", []).append(
                _("Tên miền %(host)s đã thuộc sàn %(name)s.", host=host, name=owner.name))
    if data["adapter"] not in adapters.ADAPTERS:
        errors["adapter"] = [_("Bộ đọc không tồn tại: %(name)s", name=data["adapter"])]
    if data.get("fetch") is not None and data["fetch"] not in FETCH_METHODS:
        errors["fetch"] = [_("Cách đọc trang không tồn tại: %(name)s (chỉ có %(known)s).",
                             name=data["fetch"], known=", ".join(FETCH_METHODS))]
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", data["slug"] or ""):
        errors["slug"] = [_("Tên ngắn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.")]
    for field, value in (("name", data["name"]), ("slug", data["slug"])):
        column = getattr(Marketplace, field)
        if db.session.scalar(select(Marketplace.id).where(column == value, Marketplace.id != own)):
            errors.setdefault(field, []).append(_("Đã có sàn mang tên này."))
    if data.get("concurrency") is not None and not 1 <= data["concurrency"] <= 64:
        errors["concurrency"] = [_("Số yêu cầu đồng thời từ 1 đến 64.")]
    if data.get("min_interval") is not None and data["min_interval"] < 0:
        errors["min_interval"] = [_("Khoảng cách tối thiểu không được âm.")]
    if errors:
        raise Invalid(errors)
    return {**data, "hosts": hosts}


def save_marketplace(data: dict, marketplace: Marketplace | None = None,
                     version: int | None = None) -> Marketplace:
    """Create a marketplace, or update `marketplace` as loaded at `version`."""
    data = check(data, marketplace)
    marketplace = marketplace or Marketplace()
    current = {h.host: h for h in marketplace.hosts}
    data["hosts"] = [current.get(h) or MarketplaceHost(host=h) for h in data["hosts"]]
    conflict = Invalid.one("hosts", _("Tên miền hoặc tên sàn vừa được dùng cho sàn khác."))
    return save(marketplace, data, version, conflict)


def editable(marketplace: Marketplace) -> dict:
    """A marketplace's settings as `save_marketplace` takes them."""
    return {"name": marketplace.name, "slug": marketplace.slug, "adapter": marketplace.adapter,
            "hosts": marketplace.host_names, "enabled": marketplace.enabled,
            "concurrency": marketplace.concurrency, "min_interval": marketplace.min_interval,
            "fetch": marketplace.fetch}


def change_marketplace(marketplace: Marketplace, changes: dict) -> Marketplace:
    """Change some of a marketplace's settings and keep the rest, with the form's checks."""
    return save_marketplace({**editable(marketplace), **changes}, marketplace,
                            marketplace.version)


def set_enabled(marketplace: Marketplace, enabled: bool) -> Marketplace:
    """Switch checking of a marketplace on or off; asking for the state it has changes nothing."""
    if marketplace.enabled == enabled:
        return marketplace
    return save(marketplace, {"enabled": enabled})


def listing_counts() -> dict[int, tuple[int, int]]:
    """Per marketplace id: how many listings, and how many of them were last seen online."""
    online = func.count(case((Listing.status.in_(ONLINE), 1)))
    rows = db.session.execute(
        select(Listing.marketplace_id, func.count(), online).group_by(Listing.marketplace_id))
    return {mid: (total, up) for mid, total, up in rows}


def delete_marketplace(marketplace: Marketplace) -> None:
    """Delete a marketplace that no listing points at; one with listings is switched off."""
    count = db.session.scalar(
        select(func.count()).select_from(Listing).where(Listing.marketplace_id == marketplace.id))
    if count:
        raise Invalid.one("", _(
            "Không thể xoá sàn %(name)s vì còn %(n)d gian hàng thuộc sàn này; các gian hàng và "
            "lịch sử kiểm tra của chúng cần được giữ lại. Muốn ngừng kiểm tra sàn, hãy tắt sàn.",
            name=marketplace.name, n=count))
    db.session.delete(marketplace)
    db.session.commit()
