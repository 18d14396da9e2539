"""TikTok Shop Partner API (version 202309), asked about a shop's products with its seller's
authorization.

Followed (TikTok's partner documentation is a script app the search tool does not hold):
- SDK EcomPHP/tiktokshop-php, commit dbbec213d9d1 (December 2025), DEFAULT_VERSION 202309:
  - signing (src/Client.php `prepareSignature`, which cites partner.tiktokshop.com/doc/page/
    274638): every query parameter but `sign` and `access_token`, sorted by name, written as
    name + value; the request path before them; the JSON body after them for a call that is
    not a GET; the whole wrapped in the app secret on both sides; lowercase hex HMAC-SHA256
    under the app secret. Query `app_key`, `timestamp` (Unix seconds), `sign`, and `shop_cipher`
    on shop calls (never on `/authorization/...`); the access token in the `x-tts-access-token`
    header (`modifyRequestBeforeSend`).
  - authorization (src/Auth.php): the seller opens `https://auth.tiktok-shops.com/oauth/
    authorize?app_key=&state=` and comes back to the redirect URL registered with the app,
    with `code` and `state`; `GET /api/v2/token/get?app_key&app_secret&auth_code&grant_type=
    authorized_code` and `GET /api/v2/token/refresh?app_key&app_secret&refresh_token&grant_type
    =refresh_token` on that host answer {code, message, data}; the shop and its cipher come
    from `GET /authorization/202309/shops` (src/Resources/Authorization.php, README).
  - errors: {code, message, request_id}, code 0 when all is well; codes of the groups 105 and
    360 are the token's (src/Resource.php `handleErrorResponse`, citing doc page 234136).
- Token answer fields `access_token_expire_in` and `refresh_token_expire_in` are Unix moments,
  not durations, as public integrations read them (e.g. `Carbon::createFromTimestamp`).
- Get Product `GET /product/202309/products/{product_id}`: `data.status` one of DRAFT,
  PENDING, FAILED, ACTIVATE, SELLER_DEACTIVATED, PLATFORM_DEACTIVATED, FREEZE, DELETED;
  `data.title`; `data.skus[].price.sale_price` (text, in the shop's currency: VND in Vietnam)
  and `data.skus[].inventory[].quantity` (available stock per warehouse). TikTok's reference as
  transcribed in lywzx/tiktok-partner-api packages/tk-origin-api/src/products/GetProduct.ts
  (commit 79921db8f3fd).

Not verifiable from here: TikTok's newer authorization page (services.tiktokshop.com/open/
authorize with a service id) is not what the SDK uses, so the older link is built; which error
codes mean "this product does not exist" is not published in those sources, so any error about
one product other than a token error is a PlatformError for the whole call, never "absent"
(so no answer here ever makes a product removed but its own DELETED or PLATFORM_DEACTIVATED
status). Listing URLs do not name the shop (`listing_ids`); a product of another shop is assumed
to be refused with such an error, never answered.
The redirect URL cannot be passed in the link (it is registered with the app): the query of
the app's `redirect_url` (its nonce) travels in `state`, and `returned` gives it back.
"""

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import requests

from scrapers import identity
from scrapers.adapters.tiktok import ADAPTER as LISTINGS
from scrapers.openplatform import AuthExpired, AuthRevoked, Grant, Item, Partner, PlatformError
from scrapers.openplatform.base import (
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

NAME = "TikTok Shop Partner API 202309"
DOCUMENT = ("TikTok Shop Partner API 202309 (oauth/authorize, api/v2/token/get and refresh, "
            "authorization/202309/shops, product/202309/products/{id}) as implemented by "
            "EcomPHP/tiktokshop-php @dbbec213d9d1; product statuses from TikTok's Get Product "
            "reference as transcribed in lywzx/tiktok-partner-api @79921db8f3fd")
VERIFIED = True

VERSION = "202309"
AUTH_PATH = "/oauth/authorize"
TOKEN_PATH = "/api/v2/token/get"
REFRESH_PATH = "/api/v2/token/refresh"
SHOPS_PATH = f"/authorization/{VERSION}/shops"
PRODUCT_PATH = f"/product/{VERSION}/products/"  # + the product id
TOKEN_GROUPS = ("105", "360")  # error code prefixes that concern the token
BATCH = 1  # Get Product takes one product id

# Product status -> (verdict, rule).
ITEM_STATUSES: dict[str, tuple[str, str]] = {
    # Live; stock decides between active and out_of_stock.
    "ACTIVATE": ("active", "seller_api-status-ACTIVATE"),
    # The seller took it off sale: offline, not gone (it can be activated again).
    "SELLER_DEACTIVATED": ("unlisted", "seller_api-status-SELLER_DEACTIVATED"),
    # TikTok took it off sale, or it was deleted: the marketplace says it no longer sells.
    "PLATFORM_DEACTIVATED": ("removed", "seller_api-status-PLATFORM_DEACTIVATED"),
    "DELETED": ("removed", "seller_api-status-DELETED"),
    # Frozen by TikTok: whether shoppers still see it, and whether it comes back, is not
    # documented.
    "FREEZE": ("unknown", "seller_api-status-FREEZE"),
    # Never listed yet (a draft, awaiting review, refused at review): nothing says what a
    # shopper sees at the listing's address, and the seller may still publish it.
    "DRAFT": ("unknown", "seller_api-status-DRAFT"),
    "PENDING": ("unknown", "seller_api-status-PENDING"),
    "FAILED": ("unknown", "seller_api-status-FAILED"),
}


def listing_ids(url: str) -> tuple[None, str]:
    """(None, product id) of a TikTok Shop listing URL, by the page adapter's own URL shapes:
    the address does not name the shop; raises identity.UrlError."""
    return None, identity.parse(url, LISTINGS).item_id


def authorize_url(partner: Partner, redirect_url: str, now: datetime) -> str:
    """Where the seller authorizes the app; the query of `redirect_url` rides in `state`."""
    state = urlsplit(redirect_url).query
    query = urlencode({"app_key": partner.partner_id, "state": state})
    return f"{_auth_base(partner)}{AUTH_PATH}?{query}"



def exchange(partner: Partner, code: str, shop_id: str, session: requests.Session,
             now: datetime) -> Grant:
    """Tokens for the code, and the authorized shop (`shop_id`, else the only one, else the
    only one in Vietnam) with its cipher."""
    data = _token_call(partner, session, TOKEN_PATH,
                       {"auth_code": code, "grant_type": "authorized_code"})
    tokens = _tokens(data)
    shops = _shops(partner, session, now, tokens["access_token"])
    shop = _pick(shops, shop_id)
    return Grant(shop_id=str(shop["id"]), shop_name=str(shop.get("name") or ""),
                 extra={"shop_cipher": str(shop["cipher"]), "open_id": data.get("open_id", ""),
                        "seller_name": data.get("seller_name", "")}, **tokens)


def refresh(partner: Partner, grant: Grant, session: requests.Session, now: datetime) -> Grant:
    """A new token pair for `grant`."""
    data = _token_call(partner, session, REFRESH_PATH,
                       {"refresh_token": grant.refresh_token, "grant_type": "refresh_token"})
    return replace(grant, **_tokens(data))


def items(partner: Partner, grant: Grant, item_ids: list[str], session: requests.Session,
          now: datetime) -> dict[str, Item]:
    """The shop's products among `item_ids`, one call each (Get Product takes one id)."""
    found: dict[str, Item] = {}
    for product_id in dict.fromkeys(str(i) for i in item_ids):
        if not product_id.isdigit():
            raise ValueError(f"not a TikTok Shop product id: {product_id[:40]}")
        path = PRODUCT_PATH + product_id
        data = _api_call(partner, session, "GET", path, now, grant.access_token,
                         {"shop_cipher": grant.extra.get("shop_cipher", "")})
        found[product_id] = _item(data, product_id)
    return found


def verdict(item: Item | None) -> tuple[str, str]:
    """(verdict, rule) of a product by ITEM_STATUSES and its stock."""
    return stock_verdict(item, ITEM_STATUSES, "status")


def sign(secret: str, path: str, query: Mapping[str, str], body: str = "") -> str:
    """The request's `sign`, by the rule in the module's docstring."""
    pairs = "".join(f"{k}{v}" for k, v in sorted(query.items())
                    if k not in ("sign", "access_token"))
    return hmac_sha256(secret, f"{secret}{path}{pairs}{body}{secret}")


def _auth_base(partner: Partner) -> str:
    return partner.auth_base or partner.api_base


def _token_call(partner: Partner, session: requests.Session, path: str, params: dict) -> dict:
    """`data` of a token answer; a token error here means the authorization is gone."""
    query = {"app_key": partner.partner_id, "app_secret": partner.partner_key, **params}
    return _data(send(session, "GET", f"{_auth_base(partner)}{path}", params=query),
                 token_error=AuthRevoked)


def _api_call(partner: Partner, session: requests.Session, method: str, path: str,
              now: datetime, access_token: str, params: dict, body: dict | None = None):
    """`data` of a signed shop call; a token error here means refresh the access token."""
    query = {"app_key": partner.partner_id, "timestamp": str(epoch(now)), **params}
    text = json.dumps(body) if body is not None else ""
    query["sign"] = sign(partner.partner_key, path, query, text if method != "GET" else "")
    answer = send(session, method, f"{partner.api_base}{path}", params=query, data=text or None,
                  headers={"x-tts-access-token": access_token,
                           "content-type": "application/json"})
    return _data(answer, token_error=AuthExpired)


def _data(answer: dict, token_error: type[PlatformError]) -> dict:
    code = answer.get("code")
    if code == 0:
        data = answer.get("data")
        return data if isinstance(data, dict) else {}
    message = str(answer.get("message") or "")
    if str(code).startswith(TOKEN_GROUPS):
        raise token_error(str(code), message)
    raise PlatformError(str(code), message)


def _shops(partner: Partner, session: requests.Session, now: datetime, access: str) -> list:
    data = _api_call(partner, session, "GET", SHOPS_PATH, now, access, {})
    shops = [s for s in data.get("shops") or [] if isinstance(s, dict)
             and s.get("id") and s.get("cipher")]
    if not shops:
        raise PlatformError("no_shop", "the authorization names no shop")
    return shops


def _pick(shops: list[dict], shop_id: str) -> dict:
    """The shop asked for, else the one shop, else the one shop in Vietnam."""
    if shop_id:
        chosen = [s for s in shops if str(s["id"]) == str(shop_id)]
    else:
        chosen = shops if len(shops) == 1 else [s for s in shops if s.get("region") == "VN"]
    if len(chosen) != 1:
        raise PlatformError("which_shop", f"{len(chosen)} shops match")
    return chosen[0]


def _tokens(data: dict) -> dict:
    """Tokens and the moments they lapse from a token answer's data."""
    try:
        return {"access_token": str(data["access_token"]),
                "refresh_token": str(data["refresh_token"]),
                "access_expires": _moment(data["access_token_expire_in"]),
                "refresh_expires": _moment(data["refresh_token_expire_in"])}
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        raise PlatformError("bad_answer", "tokens without their expiry") from None


def _moment(unix) -> datetime:
    return datetime.fromtimestamp(int(unix), UTC).replace(tzinfo=None)


def _item(data: dict, product_id: str) -> Item:
    """A product's status ("" when none), stock over every SKU and warehouse, lowest sale
    price, title."""
    status = data.get("status")
    skus = [s for s in data.get("skus") or [] if isinstance(s, dict)]
    counts = [place.get("quantity") for s in skus for place in s.get("inventory") or []
              if isinstance(place, dict)]
    counts = [c for c in map(whole, counts) if c is not None]
    prices = [whole((s.get("price") or {}).get("sale_price")) for s in skus]
    prices = [p for p in prices if p is not None]
    title = data.get("title")
    return Item(item_id=product_id, status=status if isinstance(status, str) else "",
                stock=sum(counts) if counts else None, price=min(prices) if prices else None,
                title=title if isinstance(title, str) else None)

