"""An imitation TikTok Shop Partner API (202309) on 127.0.0.1 (scrapers/openplatform/tiktok.py
names the documents it follows): the consent page behind `/oauth/authorize`, which sends the
seller to the redirect URL registered with the app; token get and refresh with the app secret;
every shop call's app_key, timestamp, sign and access token checked; the authorized shops with
their ciphers; Get Product.

Error codes: 105002 (expired access token, seen in a public issue) and 106001 (wrong sign, seen
in a public log) are TikTok's; the others are invented here, inside the token groups (105, 360)
for token errors and outside them for the rest, which is all the client relies on.
"""

import json
import secrets

from werkzeug import Request, Response

from ocop.sample_platforms.imitation import Imitation
from scrapers.openplatform import Partner
from scrapers.openplatform.tiktok import (
    AUTH_PATH,
    PRODUCT_PATH,
    REFRESH_PATH,
    SHOPS_PATH,
    TOKEN_PATH,
    sign,
)

EXPIRED_TOKEN, INVALID_TOKEN = 105002, 105001
BAD_CODE, BAD_REFRESH = 36004003, 36004005
WRONG_SIGN, BAD_REQUEST, NO_PRODUCT = 106001, 12009001, 12052048


class TikTokServer(Imitation):
    """TikTok Shop's open platform for one app whose redirect URL is `redirect`."""

    NAME = "TikTok Shop"

    def __init__(self, redirect: str, app_key: str = "6abc12def34gh",
                 app_secret: str = "e" * 40):
        super().__init__()
        self.redirect, self.app_key, self.app_secret = redirect, app_key, app_secret
        self.ciphers: dict[str, str] = {}

    @property
    def partner(self) -> Partner:
        return Partner(self.app_key, self.app_secret, self.base)

    def back_query(self, code: str, shop_id: str, state: str) -> dict:
        return {"code": code, "state": state}

    def cipher(self, shop_id: str) -> str:
        return self.ciphers.setdefault(shop_id, "ROW_" + secrets.token_hex(8))

    def answer(self, request: Request) -> Response:
        if request.path == AUTH_PATH:
            if request.args.get("app_key") != self.app_key:
                return error(BAD_REQUEST, "invalid app_key")
            return self.consent_page(self.redirect, request.args.get("state", ""))
        if request.path in (TOKEN_PATH, REFRESH_PATH):
            return self._token(request)
        if refusal := self.refused(request):
            return refusal
        shop_id = self.shop_of_access(request.headers.get("x-tts-access-token", ""))
        if request.path == SHOPS_PATH:
            shop = self.shops[shop_id]
            return ok({"shops": [{"id": shop.shop_id, "name": shop.name, "region": "VN",
                                  "seller_type": "LOCAL", "cipher": self.cipher(shop_id),
                                  "code": "VNLC" + shop.shop_id}]})
        if request.path.startswith(PRODUCT_PATH):
            if request.args.get("shop_cipher") != self.cipher(shop_id):
                return error(BAD_REQUEST, "shop_cipher does not match the access token")
            product_id = request.path.removeprefix(PRODUCT_PATH)
            found = self.shops[shop_id].items.get(product_id)
            if found is None:
                return error(NO_PRODUCT, "product does not exist")
            return ok(tiktok_product(product_id, found))
        return error(BAD_REQUEST, "no such API", 404)

    def refused(self, request: Request) -> Response | None:
        """The error for a shop call whose common parameters or token do not check out."""
        query = dict(request.args)
        if query.get("app_key") != self.app_key:
            return error(BAD_REQUEST, "invalid app_key")
        if not self.fresh(query.get("timestamp")):
            return error(BAD_REQUEST, "invalid timestamp")
        body = request.get_data(as_text=True) if request.method != "GET" else ""
        expected = sign(self.app_secret, request.path, query, body)
        if not secrets.compare_digest(expected, query.get("sign", "")):
            return error(WRONG_SIGN, "Invalid credentials. The 'sign' query parameter is invalid.")
        token = request.headers.get("x-tts-access-token", "")
        if token not in self.access:
            return error(INVALID_TOKEN, "access token is invalid")
        if self.shop_of_access(token) is None:
            return error(EXPIRED_TOKEN, "access token is expired, please refresh it")
        return None

    def _token(self, request: Request) -> Response:
        query = request.args
        if query.get("app_key") != self.app_key or query.get("app_secret") != self.app_secret:
            return error(BAD_REQUEST, "invalid app_key or app_secret")
        if request.path == TOKEN_PATH:
            shop_id = self.take_code(query.get("auth_code", ""))
            if shop_id is None or query.get("grant_type") != "authorized_code":
                return error(BAD_CODE, "auth_code is invalid or expired")
        else:
            outcome, shop_id = self.take_refresh(query.get("refresh_token", ""))
            if shop_id is None or query.get("grant_type") != "refresh_token":
                return error(BAD_REFRESH, f"refresh_token is {outcome}")
        access, refresh = self.issue_tokens(shop_id)
        return ok({"access_token": access, "access_token_expire_in": int(self.access[access][1]),
                   "refresh_token": refresh,
                   "refresh_token_expire_in": int(self.refreshes[refresh][1]),
                   "open_id": "open-" + shop_id, "seller_name": self.shops[shop_id].name,
                   "seller_base_region": "VN", "user_type": 0})


def tiktok_product(product_id: str, item: dict) -> dict:
    """A product as Get Product answers it: one SKU in two warehouses, the stock split."""
    sku = {"id": "17" + product_id, "seller_sku": "", "inventory": []}
    if item["price"] is not None:
        sku["price"] = {"sale_price": f"{item['price']}", "tax_exclusive_price": "",
                        "currency": "VND"}
    if item["stock"] is not None:
        half = item["stock"] // 2
        sku["inventory"] = [{"warehouse_id": "W1", "quantity": half},
                            {"warehouse_id": "W2", "quantity": item["stock"] - half}]
    return {"id": product_id, "status": item["status"], "title": item["title"], "skus": [sku]}


def ok(data: dict) -> Response:
    return Response(json.dumps({"code": 0, "message": "Success", "data": data,
                                "request_id": secrets.token_hex(12)}),
                    content_type="application/json")


def error(code: int, message: str, status: int = 200) -> Response:
    return Response(json.dumps({"code": code, "message": message, "data": None,
                                "request_id": secrets.token_hex(12)}),
                    status=status, content_type="application/json")
