"""What the open-platform clients share: HMAC-SHA256, the request with its timeout, Unix time,
and the one rule that turns an item's status and stock into a verdict."""

import hashlib
import hmac
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import requests

from scrapers.openplatform import Item, PlatformError

TIMEOUT = (5.0, 20.0)  # seconds to connect, to read: every call has both
# The codes `send` gives when the platform itself did not answer: no call can fare better.
NO_ANSWER = frozenset({"unreachable", "not_json"})


def state_returned(args: Mapping[str, str]) -> dict[str, str]:
    """The query the seller came back with, the app's own parameters (from `state`) included:
    for platforms that return the seller to a registered callback, not to the app's address."""
    return dict(args) | dict(parse_qsl(args.get("state", "")))


def code_callback(args: Mapping[str, str]) -> tuple[str, str]:
    """(code, "") from the redirect, for platforms that name the shop only in the token answer;
    PlatformError when the seller declined or no code came."""
    if args.get("error"):
        raise PlatformError(str(args["error"]), str(args.get("error_description", "")))
    if not args.get("code"):
        raise PlatformError("no_code", "the redirect carries no code")
    return args["code"], ""


def hmac_sha256(key: str, text: str) -> str:
    """Lowercase hex HMAC-SHA256 of `text` under `key` (each platform's sign, in some case)."""
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def epoch(now: datetime) -> int:
    """Unix seconds of a naive UTC moment."""
    return int(now.replace(tzinfo=UTC).timestamp())


def after(now: datetime, seconds) -> datetime:
    """The naive UTC moment `seconds` (a number the API sent, maybe as text) after `now`."""
    return now + timedelta(seconds=int(seconds))


def send(session: requests.Session, method: str, url: str, **kwargs) -> dict:
    """The JSON object a call answers, whatever its HTTP status (the platforms put their error
    codes in the body); PlatformError "unreachable" when no answer came, "not_json" when the
    answer is not a JSON object."""
    try:
        response = session.request(method, url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise PlatformError("unreachable", type(exc).__name__) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PlatformError("not_json", f"HTTP {response.status_code}")
    return body


def whole(value) -> int | None:
    """A count or a VND amount, given as a JSON number or as numeric text ("150000.00"),
    rounded; None for anything else (booleans, NaN, infinities, words)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(value) if math.isfinite(value) else None


def stock_verdict(item: Item | None, statuses: dict[str, tuple[str, str]],
                  field: str) -> tuple[str, str]:
    """(verdict, rule) of an item: its status looked up in the platform's `statuses`; a status
    on sale ("active") is out_of_stock at stock 0 and unknown when no stock was given (sold
    out is stock 0, never a status); an item the API said does not exist is removed; a status
    the platform's documentation does not list (or none) is unknown, its rule naming the
    status `field` and the value."""
    if item is None:
        return "removed", "seller_api-item-absent"
    known = statuses.get(item.status)
    if known is None:
        return "unknown", f"seller_api-{field}-{_token(item.status)}"
    verdict, rule = known
    if verdict != "active":
        return verdict, rule
    if item.stock is None:
        return "unknown", "seller_api-stock-missing"
    if item.stock <= 0:
        return "out_of_stock", "seller_api-stock-0"
    return "active", rule


def _token(value: str) -> str:
    """A remote value made safe to name in a rule: word characters only, at most 40."""
    return re.sub(r"\W", "_", str(value))[:40] or "empty"
