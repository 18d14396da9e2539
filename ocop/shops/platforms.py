"""Which marketplaces have an open platform this app can use, and the province's credentials.

A marketplace (by slug) has a platform when `scrapers.openplatform` has a module of that name;
it is usable when its partner id and key are set and its module's documentation was verified
(VERIFIED) or OCOP_<SLUG>_ENABLED turns it on anyway.
"""

import importlib
from types import ModuleType

from flask import current_app

from scrapers.identity import UrlError
from scrapers.openplatform import Partner

from ..config import PLATFORM_BASES

SLUGS = tuple(name.lower() for name in PLATFORM_BASES)


def module(slug: str) -> ModuleType | None:
    """The platform module of marketplace `slug`, if there is one."""
    if slug not in SLUGS:
        return None
    try:
        return importlib.import_module(f"scrapers.openplatform.{slug}")
    except ModuleNotFoundError:
        return None


def partner(slug: str) -> Partner | None:
    """The province's app on `slug`'s open platform, when it is set up and allowed."""
    config = current_app.config
    prefix = slug.upper()
    platform = module(slug)
    if platform is None or not (platform.VERIFIED or config[f"{prefix}_ENABLED"]):
        return None
    partner_id, key = str(config[f"{prefix}_PARTNER_ID"]), str(config[f"{prefix}_PARTNER_KEY"])
    if not partner_id or not key:
        return None
    return Partner(partner_id=partner_id, partner_key=key,
                   api_base=str(config[f"{prefix}_API_BASE"]).rstrip("/"),
                   auth_base=str(config[f"{prefix}_AUTH_BASE"]).rstrip("/"))


def shop_and_item(platform: ModuleType, url: str) -> tuple[str | None, str] | None:
    """The marketplace's (shop id, item id) of a listing at `url`, by the platform module's
    `listing_ids`: shop id None when the address does not name the shop (any of the producer's
    connected shops may hold it); None when the module cannot read the address (the listing is
    read from its page)."""
    read = getattr(platform, "listing_ids", None)
    if read is None:
        return None
    try:
        shop, item = read(url)
    except UrlError:
        return None
    return (str(shop) if shop else None, str(item)) if item else None
