"""Shopee Open Platform v2, asked about a shop's items with its seller's authorization.

Followed (Shopee's own pages at open.shopee.com are a script app the search tool does not hold,
so the facts come from public SDKs and guides that quote them, each named here):
- Signing: lowercase hex HMAC-SHA256 under the partner key of partner_id + API path + timestamp
  (Unix seconds) for public calls, + access_token + shop_id for shop calls; partner_id,
  timestamp and sign (and access_token, shop_id) in every query. SDK EcomPHP/shopee-php,
  src/Client.php `prepareSignature` and `httpClient` (commit 04177998a82e, July 2026); the same
  in wjp-letgo/shopeego config/config.go (commit 2159a6106e34).
- Authorization: `/api/v2/shop/auth_partner?partner_id=&redirect=&timestamp=&sign=` (public
  sign), the link valid 5 minutes; the seller comes back to `redirect` with `code` and
  `shop_id`, the code valid 10 minutes; `POST /api/v2/auth/token/get` with JSON {code,
  partner_id, shop_id} gives access_token (4 hours, `expire_in` seconds) and refresh_token
  (30 days, no lifetime in the answer); `POST /api/v2/auth/access_token/get` with JSON
  {refresh_token, partner_id, shop_id} gives a new pair, the old refresh token spent. Shopee's
  developer guide as quoted in the SDK maintainers' announcements (EcomPHP/shopee-php issues
  #34-#48, "Autorização e autenticação") and in the SDK's src/Auth.php. Shopee has no `state`:
  the seller comes back to `redirect` as the app wrote it, so `returned` is the query itself.
- Items: `GET /api/v2/product/get_item_base_info?item_id_list=1,2,...` (SDK src/Resources/
  Product.php `getItemBaseInfo`); answer `response.item_list[]` with item_id, item_name,
  item_status NORMAL / BANNED / UNLIST / REVIEWING / SELLER_DELETE / SHOPEE_DELETE, price_info[]
  .current_price and stock_info_v2.summary_info.total_available_stock (field names as public
  integrations read them, e.g. RefigureYT/Shopee-API src/API/GET/get_item_base_info.ts). At
  most 50 ids a call, as MoniKawaii/CAPSTONE-LA-Collections SHOPEE_API_REFERENCE.md quotes the
  reference; not read on Shopee's own page.
- The shop's name: `GET /api/v2/shop/get_shop_info` (a shop call, SDK src/Resources/Shop.php
  `getShopInfo`), answering `shop_name` beside region and status at the top of the body (the SDK
  returns `response` when there is one, else the body: read both; field names as the npm
  `shopee-openapi-v2` 1.0.39 types them, dist/shop.d.ts). The token answer names no shop.
- Errors: a body {"error", "message", "request_id"}, error "" when all is well. The SDK treats
  `invalid_code`, `invalid_acceess_token` (Shopee's spelling) and `refresh_token_expired` as
  authorization errors (src/Client.php `handleErrorResponse`); the npm `shopee-open-api` 1.0.5
  README refreshes on `error_auth`. Here an invalid or expired access token is AuthExpired (try
  a refresh); an expired refresh token, a spent code, or any of these answering a refresh is
  AuthRevoked (the seller must authorize again); anything else is PlatformError.

Not verifiable from here: what Shopee answers for an item id the shop does not have. The
imitation leaves it out of item_list, and this client then reports it absent: the seller's own
shop, asked with its token, does not have the item, so `verdict(None)` is removed. Callers must
ask a shop only about items its listing URLs name (`listing_ids`).
"""

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

import requests

from scrapers import identity
from scrapers.adapters.shopee import ADAPTER as LISTINGS
from scrapers.openplatform import AuthExpired, AuthRevoked, Grant, Item, Partner, PlatformError
from scrapers.openplatform.base import after, epoch, hmac_sha256, send, stock_verdict, whole

NAME = "Shopee Open Platform v2"
DOCUMENT = ("Shopee Open Platform API v2 (auth_partner, auth/token/get, auth/access_token/get, "
            "product/get_item_base_info, shop/get_shop_info) as implemented by "
            "EcomPHP/shopee-php @04177998a82e")
VERIFIED = True

AUTH_PATH = "/api/v2/shop/auth_partner"
TOKEN_PATH = "/api/v2/auth/token/get"
REFRESH_PATH = "/api/v2/auth/access_token/get"
ITEMS_PATH = "/api/v2/product/get_item_base_info"
SHOP_PATH = "/api/v2/shop/get_shop_info"
BATCH = 50  # item ids a get_item_base_info call takes
REFRESH_LIFETIME = timedelta(days=30)  # documented; the token answer does not say it

# item_status -> (verdict, rule), the mapping of issue 12.
ITEM_STATUSES: dict[str, tuple[str, str]] = {
    # On sale; stock decides between active and out_of_stock.
    "NORMAL": ("active", "seller_api-item_status-NORMAL"),
    # The seller hid it: offline, not gone.
    "UNLIST": ("unlisted", "seller_api-item_status-UNLIST"),
    # Shopee took it down for a violation: it no longer sells, the marketplace said so.
    "BANNED": ("removed", "seller_api-item_status-BANNED"),
    "SELLER_DELETE": ("removed", "seller_api-item_status-SELLER_DELETE"),
    "SHOPEE_DELETE": ("removed", "seller_api-item_status-SHOPEE_DELETE"),
    # Waiting for Shopee's review: it may go on sale or be refused; neither is known yet.
    "REVIEWING": ("unknown", "seller_api-item_status-REVIEWING"),
}

# Error codes meaning the access token will not do (Shopee's misspelling and the plain one).
TOKEN_INVALID = frozenset({"invalid_acceess_token", "invalid_access_token", "error_auth"})
# Error codes meaning the authorization itself is gone.
AUTH_GONE = frozenset({"refresh_token_expired", "invalid_code"})


def listing_ids(url: str) -> tuple[str, str]:
    """(shop id, item id) of a Shopee listing URL (`/<slug>-i.<shop>.<item>`,
    `/product/<shop>/<item>`), by the page adapter's own URL shapes; raises identity.UrlError."""
    shop, _, item = identity.parse(url, LISTINGS).item_id.partition(".")
    return shop, item


def authorize_url(partner: Partner, redirect_url: str, now: datetime) -> str:
    """Where the seller authorizes the province's app; valid 5 minutes from `now`."""
    query = _signed(partner, AUTH_PATH, now)
    query["redirect"] = redirect_url
    return f"{partner.auth_base or partner.api_base}{AUTH_PATH}?{urlencode(query)}"


def returned(args: Mapping[str, str]) -> dict[str, str]:
    """The query the seller came back with: `redirect` is kept whole, so the app's own
    parameters are there as it wrote them."""
    return dict(args)


def callback(args: Mapping[str, str]) -> tuple[str, str]:
    """(code, shop_id) from the query the seller was sent back with."""
    code, shop_id = args.get("code", ""), args.get("shop_id", "")
    if args.get("error"):
        raise PlatformError(str(args["error"]), str(args.get("message", "")))
    if not code or not shop_id.isdigit():
        raise PlatformError("no_code", "the redirect carries no code and shop_id")
    return code, shop_id


def exchange(partner: Partner, code: str, shop_id: str, session: requests.Session,
             now: datetime) -> Grant:
    """The shop's first tokens, for the single-use code of its authorization, and its name."""
    body = {"code": code, "partner_id": int(partner.partner_id), "shop_id": int(shop_id)}
    answer = _call(partner, session, "POST", TOKEN_PATH, now, _signed(partner, TOKEN_PATH, now),
                   body, for_tokens=True)
    grant = Grant(shop_id=str(shop_id), refresh_expires=now + REFRESH_LIFETIME,
                  **_tokens(answer, now))
    return replace(grant, shop_name=shop_name(partner, grant, session, now))


def shop_name(partner: Partner, grant: Grant, session: requests.Session, now: datetime) -> str:
    """The shop's name as Shopee has it; "" when it cannot be had (the tokens are what count:
    the pages then name the shop by its id)."""
    try:
        answer = _call(partner, session, "GET", SHOP_PATH, now,
                       _signed(partner, SHOP_PATH, now, grant))
    except PlatformError:
        return ""
    name = (answer.get("response") or answer).get("shop_name")
    return name.strip()[:255] if isinstance(name, str) else ""


def refresh(partner: Partner, grant: Grant, session: requests.Session, now: datetime) -> Grant:
    """A new token pair for `grant` (its refresh token is spent by this call)."""
    body = {"refresh_token": grant.refresh_token, "partner_id": int(partner.partner_id),
            "shop_id": int(grant.shop_id)}
    answer = _call(partner, session, "POST", REFRESH_PATH, now,
                   _signed(partner, REFRESH_PATH, now), body, for_tokens=True)
    return replace(grant, refresh_expires=now + REFRESH_LIFETIME, **_tokens(answer, now))


def items(partner: Partner, grant: Grant, item_ids: list[str], session: requests.Session,
          now: datetime) -> dict[str, Item]:
    """The shop's items among `item_ids` (numbers), read 50 a call; ids the shop does not have
    are absent."""
    found: dict[str, Item] = {}
    ids = list(dict.fromkeys(str(i) for i in item_ids))
    if bad := [i for i in ids if not i.isdigit()]:
        raise ValueError(f"not Shopee item ids: {bad[:3]}")
    for start in range(0, len(ids), BATCH):
        query = _signed(partner, ITEMS_PATH, now, grant)
        query["item_id_list"] = ",".join(ids[start:start + BATCH])
        answer = _call(partner, session, "GET", ITEMS_PATH, now, query)
        listed = (answer.get("response") or {}).get("item_list") or []
        for raw in listed:
            item = _item(raw) if isinstance(raw, dict) else None
            if item is not None:
                found[item.item_id] = item
    return found


def verdict(item: Item | None) -> tuple[str, str]:
    """(verdict, rule) of an item by ITEM_STATUSES and its stock."""
    return stock_verdict(item, ITEM_STATUSES, "item_status")


def _signed(partner: Partner, path: str, now: datetime, grant: Grant | None = None) -> dict:
    """The common query of a call: partner_id, timestamp, sign, and for a shop call its
    access_token and shop_id."""
    timestamp = epoch(now)
    base = f"{partner.partner_id}{path}{timestamp}"
    query = {"partner_id": partner.partner_id, "timestamp": timestamp}
    if grant is not None:
        base += f"{grant.access_token}{grant.shop_id}"
        query |= {"access_token": grant.access_token, "shop_id": grant.shop_id}
    query["sign"] = hmac_sha256(partner.partner_key, base)
    return query


def _call(partner: Partner, session: requests.Session, method: str, path: str, now: datetime,
          query: dict, body: dict | None = None, *, for_tokens: bool = False) -> dict:
    """The answer of one call, its error mapped: token errors while getting or refreshing tokens
    mean the authorization is gone, elsewhere that the access token needs refreshing."""
    answer = send(session, method, f"{partner.api_base}{path}", params=query, json=body)
    error = answer.get("error")
    if not error:
        return answer
    code, message = str(error), str(answer.get("message") or "")
    if code in AUTH_GONE or (for_tokens and code in TOKEN_INVALID):
        raise AuthRevoked(code, message)
    if code in TOKEN_INVALID:
        raise AuthExpired(code, message)
    raise PlatformError(code, message)


def _tokens(answer: dict, now: datetime) -> dict:
    """access_token, refresh_token and access_expires from a token answer."""
    try:
        access, refresh_token = str(answer["access_token"]), str(answer["refresh_token"])
        expires = after(now, answer["expire_in"])
    except (KeyError, TypeError, ValueError, OverflowError):
        raise PlatformError("bad_answer", "tokens without access_token, refresh_token "
                                          "or expire_in") from None
    if not access or not refresh_token:
        raise PlatformError("bad_answer", "empty tokens")
    return {"access_token": access, "refresh_token": refresh_token, "access_expires": expires}


def _item(raw: dict) -> Item | None:
    """An item of get_item_base_info's item_list (None without an id); without a status, its
    status is "" (which no rule knows)."""
    item_id, status = raw.get("item_id"), raw.get("item_status")
    if item_id is None:
        return None
    summary = (raw.get("stock_info_v2") or {}).get("summary_info") or {}
    prices = raw.get("price_info") or [{}]
    price = whole(prices[0].get("current_price")) if isinstance(prices[0], dict) else None
    title = raw.get("item_name")
    return Item(item_id=str(item_id), status=status if isinstance(status, str) else "",
                stock=whole(summary.get("total_available_stock")),
                price=price, title=title if isinstance(title, str) else None)

