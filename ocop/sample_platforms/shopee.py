"""An imitation Shopee Open Platform v2 on 127.0.0.1 (scrapers/openplatform/shopee.py names the
documents it follows): every request's partner_id, timestamp and sign checked, the seller's
consent page behind `/api/v2/shop/auth_partner`, single-use codes, tokens that expire, spent
refresh tokens, revocation, get_item_base_info with its limit of 50 ids, and get_shop_info.

    with ShopeeServer() as shopee:
        shopee.add_shop("5001", items={"101": item("NORMAL")})
        back = shopee.consent(shopee_client.authorize_url(shopee.partner, redirect, now), "5001")
"""

import hashlib
import hmac
import json
import secrets

from werkzeug import Request, Response

from scrapers.openplatform import Partner
from scrapers.openplatform.shopee import (
    AUTH_PATH,
    BATCH,
    ITEMS_PATH,
    REFRESH_PATH,
    SHOP_PATH,
    TOKEN_PATH,
)

from .imitation import Imitation


class ShopeeServer(Imitation):
    """Shopee's open platform for one partner app."""

    NAME = "Shopee"

    def __init__(self, partner_id: str = "2001234", partner_key: str = "shpk" + "7" * 60,
                 port: int = 0):
        super().__init__(port)
        self.partner_id, self.partner_key = partner_id, partner_key

    @property
    def partner(self) -> Partner:
        return Partner(self.partner_id, self.partner_key, self.base)

    def back_query(self, code: str, shop_id: str, state: str) -> dict:
        return {"code": code, "shop_id": shop_id}

    def batches(self) -> list[int]:
        """How many item ids each get_item_base_info call asked for."""
        return [len(q["item_id_list"].split(",")) for p, q in self.calls if p == ITEMS_PATH]

    def answer(self, request: Request) -> Response:
        routes = {(AUTH_PATH, "GET"): self._authorize, (TOKEN_PATH, "POST"): self._token,
                  (REFRESH_PATH, "POST"): self._refresh, (ITEMS_PATH, "GET"): self._items,
                  (SHOP_PATH, "GET"): self._shop}
        route = routes.get((request.path, request.method))
        if route is None:
            return error("error_not_found", "Wrong url", 404)
        return route(request)

    def refused(self, request: Request, shop_call: bool = False) -> Response | None:
        """The error for a request whose common parameters do not check out, else None."""
        query = request.args
        if query.get("partner_id") != self.partner_id:
            return error("error_param", "Invalid partner_id.", 400)
        if not self.fresh(query.get("timestamp")):
            return error("error_param", "Invalid timestamp.", 400)
        base = f"{self.partner_id}{request.path}{query['timestamp']}"
        if shop_call:
            base += f"{query.get('access_token', '')}{query.get('shop_id', '')}"
        expected = hmac.new(self.partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, query.get("sign", "")):
            return error("error_sign", "Wrong sign.", 403)
        if shop_call and self.shop_of_access(query.get("access_token", "")) != query.get(
                "shop_id"):
            return error("invalid_acceess_token", "Invalid access_token.", 403)
        return None

    def _authorize(self, request: Request) -> Response:
        if refusal := self.refused(request):
            return refusal
        if not request.args.get("redirect"):
            return error("error_param", "Invalid redirect.", 400)
        return self.consent_page(request.args["redirect"])

    def _token(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        if refusal := self.refused(request):
            return refusal
        if body.get("partner_id") != int(self.partner_id):
            return error("error_param", "Invalid partner_id.", 400)
        shop_id = self.take_code(str(body.get("code", "")), str(body.get("shop_id", "")))
        if shop_id is None:
            return error("invalid_code", "Invalid code.", 403)
        return self._tokens(shop_id)

    def _refresh(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        if refusal := self.refused(request):
            return refusal
        if body.get("partner_id") != int(self.partner_id):
            return error("error_param", "Invalid partner_id.", 400)
        outcome, shop_id = self.take_refresh(str(body.get("refresh_token", "")),
                                             str(body.get("shop_id", "")))
        if outcome == "expired":
            return error("refresh_token_expired", "Refresh token expired.", 403)
        if shop_id is None:
            return error("error_auth", "Invalid refresh_token.", 403)
        return self._tokens(shop_id)

    def _tokens(self, shop_id: str) -> Response:
        access, refresh = self.issue_tokens(shop_id)
        return ok({"access_token": access, "refresh_token": refresh,
                   "expire_in": self.ACCESS_SECONDS, "shop_id": int(shop_id)})

    def _items(self, request: Request) -> Response:
        if refusal := self.refused(request, shop_call=True):
            return refusal
        ids = request.args.get("item_id_list", "").split(",")
        if not all(i.isdigit() for i in ids):
            return error("error_param", "Invalid item_id_list.", 400)
        if len(ids) > BATCH:
            return error("error_param", f"item_id_list should be at most {BATCH}.", 400)
        shop = self.shops[request.args["shop_id"]]
        listed = [shopee_item(i, shop.items[i]) for i in ids if i in shop.items]
        return ok({"response": {"item_list": listed}})


    def _shop(self, request: Request) -> Response:
        if refusal := self.refused(request, shop_call=True):
            return refusal
        shop = self.shops[request.args["shop_id"]]
        return ok({"shop_name": shop.name, "region": "VN", "status": "NORMAL", "is_cb": False})


def shopee_item(item_id: str, item: dict) -> dict:
    """An item as get_item_base_info lists it."""
    listed = {"item_id": int(item_id), "item_status": item["status"],
              "item_name": item["title"], "item_sku": "", "has_model": False}
    if item["price"] is not None:
        listed["price_info"] = [{"currency": "VND", "current_price": item["price"],
                                 "original_price": item["price"]}]
    if item["stock"] is not None:
        listed["stock_info_v2"] = {"summary_info": {"total_reserved_stock": 0,
                                                    "total_available_stock": item["stock"]}}
    return listed


def ok(body: dict) -> Response:
    return Response(json.dumps({"error": "", "message": "", "request_id": _rid(), **body}),
                    content_type="application/json")


def error(code: str, message: str, status: int) -> Response:
    return Response(json.dumps({"error": code, "message": message, "request_id": _rid()}),
                    status=status, content_type="application/json")


def _rid() -> str:
    return secrets.token_hex(16)
