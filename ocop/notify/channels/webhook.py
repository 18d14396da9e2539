"""Webhooks: each message POSTed as JSON to the user's (or the province's) address, signed so
the receiver can tell it came from us and was not altered or replayed.

What a receiver gets, and how to verify it:

    POST <the webhook's URL>
    Content-Type: application/json; charset=utf-8
    X-OCOP-Delivery: <delivery id>       the same on every retry of one message: drop repeats
    X-OCOP-Timestamp: <unix seconds>     when this attempt was signed
    X-OCOP-Signature: sha256=<hex>

    <hex> = HMAC-SHA256(key = the webhook's secret as UTF-8,
                        message = <X-OCOP-Timestamp> + "." + <the raw request body bytes>)

Compute it over the body exactly as received (before any JSON parsing), compare in constant
time (`hmac.compare_digest`), and refuse a timestamp more than a few minutes from your clock.

The address goes through the same SSRF guard as listing URLs (`scrapers.guard`): one that
resolves to a private address is refused and not tried again. A 2xx answer is sent; 408, 429,
5xx, a timeout or a broken connection are tried again later; any other answer is final.
"""

import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

from urllib3 import Timeout
from urllib3.exceptions import HTTPError as Urllib3Error

from scrapers.guard import pool_manager
from scrapers.model import FetchError

from ...config import VERSION
from ...extensions import db
from ...models import Delivery, Webhook
from ...shops import vault
from .. import webhooks
from . import SendError

RETRYABLE = {408, 429}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-OCOP-Signature value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def encode(payload: dict) -> bytes:
    """The request body: compact UTF-8 JSON (Vietnamese stays readable)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def secret_for(delivery: Delivery) -> str:
    """The signing secret of the webhook the delivery goes to: the user's, or the province's
    when it has no user."""
    condition = (Webhook.user_id == delivery.user_id if delivery.user_id is not None
                 else Webhook.scope == "province")
    sealed = db.session.scalar(db.select(Webhook.secret_sealed).where(condition))
    if sealed is None:
        raise SendError("the webhook was removed", retry=False)
    try:
        return vault.unseal(sealed)
    except vault.InvalidToken:
        raise SendError("the webhook's secret cannot be unsealed (OCOP_TOKEN_KEY changed?)",
                        retry=False) from None


class Sender:
    """POSTs a batch of webhook messages through one guarded connection pool."""

    def __init__(self, config):
        self.pool = pool_manager(webhooks.guard(config), 4)
        seconds = float(config["NOTIFY_TIMEOUT"])
        self.timeout = Timeout(connect=seconds, read=seconds)
        self.user_agent = f"OCOPListingTracker/{VERSION} (webhook)"

    def send(self, delivery: Delivery) -> None:
        """POST one message; SendError says whether to try again."""
        if urlsplit(delivery.address).scheme not in ("http", "https"):
            raise SendError(f"not an http(s) address: {delivery.address}", retry=False)
        body = encode(delivery.body)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": self.user_agent,
            "X-OCOP-Delivery": delivery.message_id,
            "X-OCOP-Timestamp": timestamp,
            "X-OCOP-Signature": signature(secret_for(delivery), timestamp, body),
        }
        try:
            response = self.pool.urlopen("POST", delivery.address, body=body, headers=headers,
                                         redirect=False, retries=False, timeout=self.timeout,
                                         preload_content=False)
        except FetchError as exc:  # the guard: a private or otherwise barred address
            raise SendError(f"refused: {exc}", retry=False) from None
        except ValueError as exc:  # a URL urllib3 cannot use
            raise SendError(f"bad address: {exc}", retry=False) from None
        except (Urllib3Error, OSError) as exc:
            raise SendError(f"no answer: {exc}", retry=True) from None
        try:
            status = response.status
            reply = b"" if 200 <= status < 300 else response.read(200)
        except (Urllib3Error, OSError) as exc:
            raise SendError(f"no answer: {exc}", retry=True) from None
        finally:
            response.close()  # the answer's body is not wanted: the connection goes
            response.release_conn()
        if 200 <= status < 300:
            return
        reply = reply.decode(errors="replace").strip()
        raise SendError(f"HTTP {status}: {reply}".rstrip(": "),
                        retry=status >= 500 or status in RETRYABLE)

    def close(self) -> None:
        """Close the pool's connections."""
        self.pool.clear()
