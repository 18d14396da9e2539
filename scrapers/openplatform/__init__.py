"""The marketplaces' open platforms, asked about a shop's items with its seller's authorization.

One module per marketplace (`shopee`, `tiktok`, `lazada`), each with the same names: NAME,
DOCUMENT, VERIFIED, ITEM_STATUSES and the functions `authorize_url`, `callback`, `exchange`,
`refresh`, `items` and `verdict` (an authorization link, the code the seller is sent back with,
tokens got and refreshed, items read in batches, one verdict per item). Like the rest of
`scrapers/`, nothing here knows Flask or the database: the app stores the `Grant`s.

A platform whose connected shops answer for the app's listings also has (without them, its
listings are read from their pages):
- `BATCH: int`, the item ids one call of `items` asks about (the caller asks that many at a
  time, so one failing call costs only its own items);
- `listing_ids(url) -> (shop_id | None, item_id)`, the marketplace's ids in a listing URL by the
  page adapter's own URL shapes (raises `scrapers.identity.UrlError`); shop_id None when the
  address does not name the shop (TikTok Shop, Lazada): any of the producer's connected shops
  on the marketplace may be the one, and only one that answers with the item proves it is its.
"""

from dataclasses import dataclass, field
from datetime import datetime


class PlatformError(Exception):
    """The marketplace answered with one of its documented errors."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class AuthExpired(PlatformError):
    """The access token is expired or invalid: refresh it."""


class AuthRevoked(PlatformError):
    """The authorization is gone (refresh token expired or revoked): the shop must reconnect."""


@dataclass(frozen=True)
class Partner:
    """The province's app on a marketplace's open platform, from settings."""

    partner_id: str
    partner_key: str
    api_base: str  # e.g. https://partner.shopeemobile.com; tests: http://127.0.0.1:PORT
    auth_base: str = ""  # where the seller authorizes, when not on api_base


@dataclass(frozen=True)
class Grant:
    """A shop's authorization: tokens and when they lapse (naive UTC datetimes)."""

    shop_id: str
    access_token: str
    refresh_token: str
    access_expires: datetime
    refresh_expires: datetime | None
    shop_name: str = ""
    extra: dict = field(default_factory=dict)  # e.g. TikTok's shop_cipher


@dataclass(frozen=True)
class Item:
    """One item as the marketplace's API reports it to its seller."""

    item_id: str
    status: str  # the API's own value, e.g. NORMAL, UNLIST, ACTIVATE
    stock: int | None
    price: int | None  # VND
    title: str | None
