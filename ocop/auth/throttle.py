"""Temporary lockouts after failed sign-ins, by account and by address.

Built on `limits`, the rate-limiting library under Flask-Limiter, used directly because the
lockout needs what a route decorator hides: the time a lock ends (for `Retry-After` and the
administrators' list) and a way to lift one. Only failures count, in a moving window, so a lock
ends by itself once old failures age out. The counts live in Redis when OCOP_REDIS_URL is set
(every process sees the same), in memory otherwise (one process: `make run`, tests).
"""

import time
from datetime import UTC, datetime

from flask import Flask, current_app
from limits import RateLimitItem, parse, storage, strategies

ACCOUNT = "sign-in-account"
ADDRESS = "sign-in-address"


def init_app(app: Flask) -> None:
    """Attach the counter store and the two limits to `app`."""
    uri = app.config["RATELIMIT_STORAGE_URI"] or app.config["REDIS_URL"] or "memory://"
    app.extensions["ocop_throttle"] = {
        "limiter": strategies.MovingWindowRateLimiter(storage.storage_from_string(uri)),
        ACCOUNT: parse(app.config["SIGN_IN_LIMIT_ACCOUNT"]),
        ADDRESS: parse(app.config["SIGN_IN_LIMIT_ADDRESS"]),
    }


def _parts() -> tuple[strategies.MovingWindowRateLimiter, RateLimitItem, RateLimitItem]:
    ext = current_app.extensions["ocop_throttle"]
    return ext["limiter"], ext[ACCOUNT], ext[ADDRESS]


def _account(email: str) -> str:
    """The key of an account: the address typed, as the sign-in reads it (known or not, so a
    lock tells nothing about whether the account exists)."""
    return email.strip().lower()[:255]


def wait_seconds(email: str, address: str) -> int:
    """How long this account or this address must wait before trying again; 0: go ahead."""
    limiter, per_account, per_address = _parts()
    waits = [0]
    for limit, key in ((per_account, (ACCOUNT, _account(email))),
                       (per_address, (ADDRESS, address))):
        if not limiter.test(limit, *key):
            waits.append(limiter.get_window_stats(limit, *key).reset_time - time.time())
    return max(1, round(max(waits))) if max(waits) > 0 else 0


def failed(email: str, address: str) -> None:
    """Count one failed attempt against the account and the address."""
    limiter, per_account, per_address = _parts()
    limiter.hit(per_account, ACCOUNT, _account(email))
    limiter.hit(per_address, ADDRESS, address)


def locked_until(email: str) -> datetime | None:
    """When the account's lock ends (naive UTC, like the database's times), or None."""
    limiter, per_account, _ = _parts()
    if limiter.test(per_account, ACCOUNT, _account(email)):
        return None
    reset = limiter.get_window_stats(per_account, ACCOUNT, _account(email)).reset_time
    return datetime.fromtimestamp(reset, UTC).replace(tzinfo=None)


def unlock(email: str) -> None:
    """Forget the account's failures (an administrator vouched for its owner)."""
    limiter, per_account, _ = _parts()
    limiter.clear(per_account, ACCOUNT, _account(email))
