"""Lazada Open Platform (LazOp), asked about a shop's products with its seller's authorization.

Followed: Lazada's own developer guide and API reference (open.lazada.com, a script app the
search tool does not hold) as transcribed in lazykern/ecommerce-api-docs, commit eba059e3e9e6
(December 2025): "Signature algorithm", "Seller authorization introduction", "Error messages",
and the references of GetProductItem, GenerateAccessToken, RefreshAccessToken and GetSeller;
checked against Lazada's official Python SDK, `lazop-sdk` 1.0.3 on PyPI
(lazop_sdk/base.py, P_SDK_VERSION "lazop-sdk-python-20181207").
- Signing: every parameter but `sign` (system ones `app_key`, `timestamp` in milliseconds,
  `sign_method`=sha256 and `access_token` included), sorted by name, written as name + value,
  the API path (without `/rest`) in front; HMAC-SHA256 under the app secret; uppercase hex.
  Nothing wraps the string in the secret: the guide's Java and C# samples and the official SDK
  agree on that, whatever other write-ups say.
- Authorization: `https://auth.lazada.com/oauth/authorize?response_type=code&force_auth=true&
  redirect_uri=&client_id=&state=`; `redirect_uri` must equal the callback URL registered with
  the app, so the app's own query (its nonce) travels in `state`, which comes back unchanged
  ("the same for input and response"), and `returned` gives it back. The code is valid half an
  hour, once. `/auth/token/create` (code) and `/auth/token/refresh` (refresh_token) on
  `https://auth.lazada.com/rest` answer access_token, refresh_token, `expires_in` and
  `refresh_expires_in` (seconds; 0: it cannot be refreshed), country and country_user_info
  [{country, seller_id, user_id}]. The shop is the seller of country "vn" (or the answer's only
  one); its name comes from `/seller/get`.
- Items: `GET /product/item/get?item_id=` (one item a call) answers `data.status` (Active,
  InActive, Pending QC, Suspended, Deleted), `data.attributes.name`, and `data.skus[]` with
  `Status` (active, inactive, …), `Available` (sellable quantity; `quantity` when absent) and
  `price`. Its error codes 207/208 ("the item id … does not exist on the current site", "Item
  not exist") make the item absent; EDIT_ITEM_NOT_BELONG_SELLER (another shop's item) and the
  others are PlatformError. Listing URLs name the item, not the seller (`listing_ids`).
- Errors: a body {type, code, message, request_id}, code "0" when all is well;
  IllegalAccessToken is AuthExpired; InvalidCode and IllegalRefreshToken ("have your seller
  re-login") are AuthRevoked.

Settings: the API base is the Vietnamese gateway with its `/rest` (https://api.lazada.vn/rest);
the auth base is the host https://auth.lazada.com (the authorize page is under it, the token
calls under its `/rest`). Not verifiable from here: whether a query string in redirect_uri
survives (hence `state`), and which SKU price shoppers see during a promotion (`special_price`
has a time window); `price` is reported.
"""

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from scrapers import identity
from scrapers.adapters.lazada import ADAPTER as LISTINGS
from scrapers.openplatform import AuthExpired, AuthRevoked, Grant, Item, Partner, PlatformError
from scrapers.openplatform.base import (
    after,
    code_callback,
    epoch,
    hmac_sha256,
    send,
    state_returned,
    stock_verdict,
    whole,
)

# The seller comes back to the registered callback with the app's query in `state`, and the
# shop is named only in the token answer.
returned, callback = state_returned, code_callback

NAME = "Lazada Open Platform"
DOCUMENT = ("Lazada Open Platform guide and API reference (Signature algorithm, Seller "
            "authorization, GetProductItem, GenerateAccessToken, RefreshAccessToken, GetSeller) "
            "as transcribed in lazykern/ecommerce-api-docs @eba059e3e9e6, checked against "
            "lazop-sdk 1.0.3 (lazop-sdk-python-20181207)")
VERIFIED = True

AUTH_PATH = "/oauth/authorize"
TOKEN_PATH = "/auth/token/create"
REFRESH_PATH = "/auth/token/refresh"
SELLER_PATH = "/seller/get"
ITEM_PATH = "/product/item/get"
COUNTRY = "vn"
EXPIRED = frozenset({"IllegalAccessToken"})
GONE = frozenset({"InvalidCode", "IllegalRefreshToken"})
NOT_FOUND = frozenset({"207", "208"})
BATCH = 1  # GetProductItem takes one item id

# Product status -> (verdict, rule).
ITEM_STATUSES: dict[str, tuple[str, str]] = {
    # Live; the sellable stock of its active SKUs decides between active and out_of_stock.
    "Active": ("active", "seller_api-status-Active"),
    # The seller deactivated it: offline, not gone.
    "InActive": ("unlisted", "seller_api-status-InActive"),
    # Lazada suspended it (a policy violation), or it was deleted: the marketplace says it
    # no longer sells.
    "Suspended": ("removed", "seller_api-status-Suspended"),
    "Deleted": ("removed", "seller_api-status-Deleted"),
    # In Lazada's quality check: it may go live or be rejected; neither is known yet.
    "Pending QC": ("unknown", "seller_api-status-Pending_QC"),
}


def listing_ids(url: str) -> tuple[None, str]:
    """(None, item id) of a Lazada listing URL (`…-i<item>-s<sku>.html`), by the page adapter's
    own URL shapes: the address does not name the seller; raises identity.UrlError."""
    return None, identity.parse(url, LISTINGS).item_id


def authorize_url(partner: Partner, redirect_url: str, now: datetime) -> str:
    """Where the seller authorizes the app; the query of `redirect_url` rides in `state`."""
    parts = urlsplit(redirect_url)
    query = urlencode({"response_type": "code", "force_auth": "true",
                       "redirect_uri": urlunsplit(parts._replace(query="", fragment="")),
                       "client_id": partner.partner_id, "state": parts.query})
    return f"{_auth_host(partner)}{AUTH_PATH}?{query}"



def exchange(partner: Partner, code: str, shop_id: str, session: requests.Session,
             now: datetime) -> Grant:
    """Tokens for the code; the shop is the Vietnamese seller (`shop_id`, when given, must be
    it), named by /seller/get."""
    answer = _call(partner, session, f"{_auth_host(partner)}/rest", TOKEN_PATH, now,
                   {"code": code})
    seller = _seller_id(answer)
    if shop_id and shop_id != seller:
        raise PlatformError("which_shop", f"the authorization is for seller {seller}")
    grant = Grant(shop_id=seller, **_tokens(answer, now))
    data = _call(partner, session, partner.api_base, SELLER_PATH, now, {},
                 grant.access_token).get("data") or {}
    return replace(grant, shop_name=str(data.get("name") or ""))


def refresh(partner: Partner, grant: Grant, session: requests.Session, now: datetime) -> Grant:
    """A new token pair for `grant` (the refresh token's own lifetime is not reset)."""
    answer = _call(partner, session, f"{_auth_host(partner)}/rest", REFRESH_PATH, now,
                   {"refresh_token": grant.refresh_token})
    return replace(grant, **_tokens(answer, now))


def items(partner: Partner, grant: Grant, item_ids: list[str], session: requests.Session,
          now: datetime) -> dict[str, Item]:
    """The shop's items among `item_ids`, one call each; items Lazada says do not exist are
    absent."""
    found: dict[str, Item] = {}
    for item_id in dict.fromkeys(str(i) for i in item_ids):
        if not item_id.isdigit():
            raise ValueError(f"not a Lazada item id: {item_id[:40]}")
        try:
            answer = _call(partner, session, partner.api_base, ITEM_PATH, now,
                           {"item_id": item_id}, grant.access_token)
        except PlatformError as exc:
            if exc.code in NOT_FOUND:
                continue
            raise
        found[item_id] = _item(answer.get("data") or {}, item_id)
    return found


def verdict(item: Item | None) -> tuple[str, str]:
    """(verdict, rule) of an item by ITEM_STATUSES and its active SKUs' stock."""
    return stock_verdict(item, ITEM_STATUSES, "status")


def sign(secret: str, path: str, params: Mapping[str, str]) -> str:
    """The request's `sign`, by the rule in the module's docstring."""
    pairs = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != "sign")
    return hmac_sha256(secret, f"{path}{pairs}").upper()


def _auth_host(partner: Partner) -> str:
    """The authorization host: the auth base, else the API base's host."""
    if partner.auth_base:
        return partner.auth_base
    parts = urlsplit(partner.api_base)
    return f"{parts.scheme}://{parts.netloc}"


def _call(partner: Partner, session: requests.Session, base: str, path: str, now: datetime,
          params: dict, access_token: str = "") -> dict:
    """A signed GET's answer; its error code mapped. A token call (no access token) that is
    refused with a token error means the authorization is gone."""
    query = {"app_key": partner.partner_id, "timestamp": str(epoch(now) * 1000),
             "sign_method": "sha256", **params}
    if access_token:
        query["access_token"] = access_token
    query["sign"] = sign(partner.partner_key, path, query)
    answer = send(session, "GET", f"{base}{path}", params=query)
    code = str(answer.get("code", ""))
    if code == "0":
        return answer
    message = str(answer.get("message") or "")
    if code in GONE or (code in EXPIRED and not access_token):
        raise AuthRevoked(code, message)
    if code in EXPIRED:
        raise AuthExpired(code, message)
    raise PlatformError(code, message)


def _seller_id(answer: dict) -> str:
    """The seller of Vietnam in a token answer (or its only seller)."""
    sellers = [u for u in answer.get("country_user_info") or [] if isinstance(u, dict)]
    chosen = [u for u in sellers if u.get("country") == COUNTRY] or (
        sellers if len(sellers) == 1 else [])
    if len(chosen) != 1 or not chosen[0].get("seller_id"):
        raise PlatformError("which_shop", "the authorization names no seller in Vietnam")
    return str(chosen[0]["seller_id"])


def _tokens(answer: dict, now: datetime) -> dict:
    """Tokens and the moments they lapse; a refresh lifetime of 0 means it cannot refresh."""
    try:
        refresh_in = int(answer["refresh_expires_in"])
        return {"access_token": str(answer["access_token"]),
                "refresh_token": str(answer["refresh_token"]),
                "access_expires": after(now, answer["expires_in"]),
                "refresh_expires": after(now, refresh_in) if refresh_in > 0 else None}
    except (KeyError, TypeError, ValueError, OverflowError):
        raise PlatformError("bad_answer", "tokens without their lifetimes") from None


def _item(data: dict, item_id: str) -> Item:
    """An item's status ("" when none), its name, and the sellable stock and lowest price of
    its active SKUs: stock 0 when it has SKUs and none is active, None when nothing says."""
    skus = [s for s in data.get("skus") or [] if isinstance(s, dict)]
    active = [s for s in skus if str(s.get("Status", "")).lower() == "active"]
    prices = [p for p in (whole(s.get("price")) for s in active) if p is not None]
    status, name = data.get("status"), (data.get("attributes") or {}).get("name")
    return Item(item_id=item_id, status=status if isinstance(status, str) else "",
                stock=_stock(active) if active else (0 if skus else None),
                price=min(prices) if prices else None,
                title=name if isinstance(name, str) else None)


def _stock(active: list[dict]) -> int | None:
    """The sellable quantity over active SKUs; None when one of them does not say."""
    counts = [whole(s.get("Available", s.get("quantity"))) for s in active]
    return None if None in counts else sum(counts)
