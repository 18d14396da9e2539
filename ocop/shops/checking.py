"""The seller_api route of a check run: listings of connected shops are checked by asking the
marketplace's open API with the seller's authorization, in batches, not by reading their pages.

Runs before a pass's page route (`checks.runner.check_pass`, whatever process or RQ chunk runs
it) over the same listings: what it records has a check in the run, so the page route skips it;
a shop whose API fails (authorization lost, errors) leaves its listings to the page route in
the same run, and its connection says why.
"""

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import ModuleType

import requests
from sqlalchemy import and_, select

from scrapers.model import Result, Target
from scrapers.openplatform import AuthExpired, Grant, Item, Partner

from ..checks import scope
from ..checks.record import record
from ..extensions import db
from ..models import LIVE_SHOP_STATES, Listing, Marketplace, Product, ShopConnection, utcnow
from . import operations, platforms

BATCH = 200  # listings asked and recorded together (the client splits by its API's limit)


class Unanswered(Exception):
    """The API could not be asked, and the connection already notes why."""


def check_pass(run_id: int, condition, *, confirm_after: timedelta,
               on_progress: Callable[[int], None] | None = None) -> None:
    """Ask the API about every listing matching `condition` that a live connection answers
    for, and record the results; the rest is left to the page route."""
    hosts = scope.hosts_by_marketplace()
    with requests.Session() as http:
        for connection in connections(condition):
            platform = platforms.module(connection.marketplace.adapter)
            partner = platforms.partner(connection.marketplace.adapter)
            if platform is None or partner is None:
                continue
            targets = list(shop_targets(platform, connection, condition, hosts))
            if not targets:
                continue
            grant = operations.usable_grant(connection, http, utcnow())
            db.session.commit()  # a refreshed grant, or why there is none
            for chunk in chunks(targets):
                if grant is None:
                    break
                try:
                    results, grant = ask(platform, partner, connection, grant, chunk, http)
                except Unanswered:
                    break  # this shop's remaining listings go the page route
                except Exception as exc:  # a failing client must not stop the run either
                    operations.failed(connection, exc, utcnow())
                    db.session.commit()
                    break
                counts = record(run_id, results, phase=1, degraded=set(),
                                confirm_after=confirm_after)
                if on_progress:
                    on_progress(sum(counts.values()))


def connections(condition) -> list[ShopConnection]:
    """The connections that may be asked now whose producer has listings matching `condition`
    on their marketplace, by id (one query, however many connections a chunk does not
    concern)."""
    concerned = (select(Listing.id).join(Marketplace).join(Product)
                 .where(condition, Listing.marketplace_id == ShopConnection.marketplace_id,
                        Product.producer_id == ShopConnection.producer_id).exists())
    return list(db.session.scalars(select(ShopConnection).where(
        ShopConnection.state.in_(LIVE_SHOP_STATES), concerned).order_by(ShopConnection.id)))


def shop_targets(platform: ModuleType, connection: ShopConnection, condition,
                 hosts) -> Iterator[Target]:
    """The listings matching `condition` that belong to the connection's shop: its producer's
    listings on its marketplace whose address names that shop."""
    mine = and_(condition, Listing.marketplace_id == connection.marketplace_id,
                Listing.product_id.in_(select(Product.id).where(
                    Product.producer_id == connection.producer_id)))
    for target in scope.targets(mine, hosts):
        ids = platforms.shop_and_item(platform, target.url)
        if ids is not None and ids[0] == connection.shop_id:
            yield target


def chunks(targets: list[Target]) -> Iterator[list[Target]]:
    """The targets BATCH at a time."""
    for start in range(0, len(targets), BATCH):
        yield targets[start:start + BATCH]


def ask(platform: ModuleType, partner: Partner, connection: ShopConnection, grant: Grant,
        targets: list[Target], http: requests.Session) -> tuple[list[Result], Grant]:
    """One batch asked of the API, as results; an expired access token is refreshed once and
    the batch asked again. Raises the platform's error when it cannot answer, Unanswered when
    the refresh failed."""
    item_ids = {target.key: platforms.shop_and_item(platform, target.url)[1]
                for target in targets}
    started = time.monotonic()
    try:
        items = platform.items(partner, grant, sorted(set(item_ids.values())), http, utcnow())
    except AuthExpired:
        renewed = operations.renew(connection, http, utcnow())
        db.session.commit()
        if not renewed:
            raise Unanswered from None
        grant = operations.grant_of(connection)
        items = platform.items(partner, grant, sorted(set(item_ids.values())), http, utcnow())
    elapsed = round(time.monotonic() - started, 3)
    at = utcnow()
    results = []
    for target in targets:
        item = items.get(item_ids[target.key])
        verdict, rule = platform.verdict(item)
        results.append(Result(target, verdict, evidence(platform, connection, target,
                                                        item_ids[target.key], item, rule,
                                                        elapsed, len(targets)), at))
    return results, grant


def evidence(platform: ModuleType, connection: ShopConnection, target: Target, item_id: str,
             item: Item | None, rule: str, elapsed: float, batch: int) -> dict:
    """What the API said of one item, JSON-ready, beside the rule that decided."""
    return {
        "route": "seller_api",
        "platform": platform.NAME,
        "document": platform.DOCUMENT,
        "marketplace": connection.marketplace.name,
        "url": target.url,
        "shop_id": connection.shop_id,
        "item_id": item_id,
        "rule": rule,
        "status_field": status_field(platform),
        "detail": item.status if item else None,
        "api_status": item.status if item else None,
        "stock": item.stock if item else None,
        "title": item.title if item else None,
        "price": item.price if item else None,
        "availability": None if item is None or item.stock is None else str(item.stock),
        "elapsed": elapsed,  # the batch's call, shared by its `batch` items
        "batch": batch,
        "attempts": 1,
    }


def status_field(platform: ModuleType) -> str | None:
    """The API's name for an item's status ("item_status" on Shopee), as the platform's rules
    spell it ("seller_api-item_status-NORMAL")."""
    for _verdict, rule in platform.ITEM_STATUSES.values():
        parts = rule.split("-")
        if len(parts) == 3:
            return parts[1]
    return None
