"""An imitation Lazada Open Platform on 127.0.0.1 (scrapers/openplatform/lazada.py names the
documents it follows): the consent page behind `/oauth/authorize`, which accepts only the
callback URL registered with the app; every `/rest` call's app_key, timestamp, sign_method and
sign checked; token create and refresh (the refresh token keeps its first lifetime); the seller;
GetProductItem with active and inactive SKUs. The error codes are the documented ones, but for
the timestamp's (InvalidParameter here).
"""

import json
import secrets

from werkzeug import Request, Response

from ocop.sample_platforms.imitation import Imitation
from scrapers.openplatform import Partner
from scrapers.openplatform.lazada import (
    AUTH_PATH,
    ITEM_PATH,
    REFRESH_PATH,
    SELLER_PATH,
    TOKEN_PATH,
    sign,
)

CLOCK_SKEW_MS = 7200 * 1000  # the documented tolerance of `timestamp`


class LazadaServer(Imitation):
    """Lazada's open platform for one app whose callback URL is `redirect`."""

    NAME = "Lazada"

    ACCESS_SECONDS = 7 * 86400  # an app in "Test" status, as documented
    REFRESH_SECONDS = 30 * 86400

    def __init__(self, redirect: str, app_key: str = "100123", app_secret: str = "S" * 32):
        super().__init__()
        self.redirect, self.app_key, self.app_secret = redirect, app_key, app_secret
        self.refreshable = True  # False: token answers say refresh_expires_in 0
        # item id -> (code, message) GetProductItem answers instead: an error about one item
        self.failing: dict[str, tuple[str, str]] = {}

    @property
    def partner(self) -> Partner:
        return Partner(self.app_key, self.app_secret, f"{self.base}/rest", self.base)

    def back_query(self, code: str, shop_id: str, state: str) -> dict:
        return {"code": code, "state": state}

    def answer(self, request: Request) -> Response:
        if request.path == AUTH_PATH:
            return self._authorize(request)
        path = request.path.removeprefix("/rest")
        if refusal := self.refused(request, path):
            return refusal
        if path == TOKEN_PATH:
            shop_id = self.take_code(request.args.get("code", ""))
            if shop_id is None:
                return error("InvalidCode", "Invalid authorization code")
            return self._tokens(shop_id, None)
        if path == REFRESH_PATH:
            held = self.refreshes.get(request.args.get("refresh_token", ""))
            _, shop_id = self.take_refresh(request.args.get("refresh_token", ""))
            if shop_id is None:
                return error("IllegalRefreshToken",
                             "The specified refresh token is invalid or expired")
            return self._tokens(shop_id, held[1])
        shop_id = self.shop_of_access(request.args.get("access_token", ""))
        if shop_id is None:
            return error("IllegalAccessToken", "The specified access token is invalid or expired")
        if path == SELLER_PATH:
            return ok({"data": {"seller_id": int(shop_id), "name": self.shops[shop_id].name,
                                "location": "Lào Cai", "cb": False}})
        if path == ITEM_PATH:
            return self._item(shop_id, request.args.get("item_id", ""))
        return error("InvalidApiPath", "The specified API path is invalid", 404)

    def refused(self, request: Request, path: str) -> Response | None:
        """The error for a call whose common parameters do not check out."""
        query = dict(request.args)
        if query.get("app_key") != self.app_key:
            return error("InvalidAppKey", "The specified app key is invalid")
        stamp = query.get("timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - self.now() * 1000) > CLOCK_SKEW_MS:
            return error("InvalidParameter", "timestamp")
        if query.get("sign_method") != "sha256" or not secrets.compare_digest(
                sign(self.app_secret, path, query), query.get("sign", "")):
            return error("IncompleteSignature",
                         "The request signature does not conform to lazop standards")
        return None

    def _authorize(self, request: Request) -> Response:
        query = request.args
        if query.get("client_id") != self.app_key or query.get("response_type") != "code":
            return Response("client_id or response_type is invalid", status=400)
        if query.get("redirect_uri") != self.redirect:
            return Response("redirect_uri does not match the app's callback URL", status=400)
        return self.consent_page(self.redirect, query.get("state", ""))

    def _tokens(self, shop_id: str, refresh_until: float | None) -> Response:
        access, refresh = self.issue_tokens(shop_id)
        if refresh_until is not None:  # a refresh does not reset the refresh token's lifetime
            self.refreshes[refresh] = (shop_id, refresh_until)
        refresh_in = int(self.refreshes[refresh][1] - self.now()) if self.refreshable else 0
        return ok({"access_token": access, "refresh_token": refresh,
                   "expires_in": self.ACCESS_SECONDS, "refresh_expires_in": refresh_in,
                   "country": "vn", "account": f"shop{shop_id}@example.vn",
                   "account_platform": "seller_center",
                   "country_user_info": [{"country": "vn", "seller_id": shop_id,
                                          "user_id": int(shop_id) + 1}]})

    def _item(self, shop_id: str, item_id: str) -> Response:
        if item_id in self.failing:
            return error(*self.failing[item_id])
        found = self.shops[shop_id].items.get(item_id)
        if found is None:
            if any(item_id in shop.items for shop in self.shops.values()):
                return error("EDIT_ITEM_NOT_BELONG_SELLER", "You are not authorized to edit "
                                                           "the item.")
            return error("208", "E208: Item not exist")
        return ok({"data": lazada_item(item_id, found)})


def lazada_item(item_id: str, item: dict) -> dict:
    """An item as GetProductItem answers it: one active SKU holding its stock and price, one
    inactive SKU with stock of its own (which shoppers cannot buy)."""
    active = {"Status": "active", "SkuId": int(item_id) * 10, "SellerSku": "A"}
    if item["stock"] is not None:
        active |= {"quantity": item["stock"], "Available": item["stock"]}
    if item["price"] is not None:
        active["price"] = item["price"]
    hidden = {"Status": "inactive", "SkuId": int(item_id) * 10 + 1, "SellerSku": "B",
              "quantity": 50, "Available": 50, "price": 1000}
    return {"item_id": int(item_id), "status": item["status"], "primary_category": 10000211,
            "attributes": {"name": item["title"]}, "skus": [active, hidden]}


def ok(body: dict) -> Response:
    return Response(json.dumps({"code": "0", "request_id": secrets.token_hex(12), **body}),
                    content_type="application/json")


def error(code: str, message: str, status: int = 200) -> Response:
    return Response(json.dumps({"type": "ISV", "code": code, "message": message,
                                "request_id": secrets.token_hex(12)}),
                    status=status, content_type="application/json")
