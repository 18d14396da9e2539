"""The seller_api route of a check run: listings of connected shops are checked by asking the
marketplace's open API with the seller's authorization, not by reading their pages.

Runs before a pass's page route (`checks.runner.check_pass`, whatever process or RQ chunk runs
it) over the same listings: what it records has a check in the run, so the page route skips it;
whatever the API did not answer for certain is left to the page route in the same run.

Which shop answers for a listing: the one its address names (Shopee); when the address names
only the item (TikTok Shop, Lazada), each of the producer's connections on that marketplace in
turn, until one answers with the item. The API answers a seller only about its own items, so an
item in the answer is that shop's. "No such item" (what each client reports absent, by its own
documented rules) proves the listing gone only when every shop of the producer that may hold it
said so; a shop that could not be asked (its authorization lost or lapsed) leaves it unproven.
An error about one call's items (another seller's item, say) is no evidence either way: those
listings go the page route, and the shop's other items are still asked (one call asks the
platform's BATCH of ids). A shop stops only when it cannot be asked at all: its authorization
lost (an expired access token is refreshed once a pass), the platform not answering, or a
failing client; its connection says why.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby, islice
from types import ModuleType

import requests
from sqlalchemy import and_, select

from scrapers.model import Result, Target
from scrapers.openplatform import AuthExpired, AuthRevoked, Item, Partner, PlatformError
from scrapers.openplatform.base import NO_ANSWER

from ..checks import scope
from ..checks.record import record
from ..extensions import db
from ..models import Listing, Marketplace, Product, ShopConnection, utcnow
from . import operations, platforms

BATCH = 200  # results recorded together


@dataclass(frozen=True)
class Asked:
    """A listing a connected shop may answer for: the shop its address names (None: any of the
    producer's shops on the marketplace) and the marketplace's item id."""

    target: Target
    shop_id: str | None
    item_id: str


@dataclass(frozen=True)
class Answer:
    """What one shop's API said of a listing: its item, or None (the shop has no such item)."""

    asked: Asked
    connection: ShopConnection
    item: Item | None
    elapsed: float  # seconds the call took
    batch: int  # item ids that call asked about


def check_pass(run_id: int, condition, *, confirm_after: timedelta,
               on_progress: Callable[[int], None] | None = None) -> None:
    """Ask the API about every listing matching `condition` that a connection answers for,
    and record what it settled; the rest is left to the page route."""
    hosts = scope.hosts_by_marketplace()
    with requests.Session() as http:
        for shops in producers_shops(connections(condition)):
            adapter = shops[0].marketplace.adapter
            platform, partner = platforms.module(adapter), platforms.partner(adapter)
            if platform is None or partner is None:
                continue
            listings = list(shop_targets(platform, shops, condition, hosts))
            for results in chunks(settled(platform, partner, shops, listings, http)):
                counts = record(run_id, results, phase=1, degraded=set(),
                                confirm_after=confirm_after)
                if on_progress:
                    on_progress(sum(counts.values()))


def connections(condition) -> list[ShopConnection]:
    """The connections not disconnected whose producer has listings matching `condition` on
    their marketplace (one query, however many connections a chunk does not concern), a
    producer's shops on one marketplace together. Those that cannot be asked now (revoked,
    expired) are among them: they may hold a listing whose address names no shop."""
    concerned = (select(Listing.id).join(Marketplace).join(Product)
                 .where(condition, Listing.marketplace_id == ShopConnection.marketplace_id,
                        Product.producer_id == ShopConnection.producer_id).exists())
    return list(db.session.scalars(select(ShopConnection).where(
        ShopConnection.state != "disconnected", concerned).order_by(
        ShopConnection.producer_id, ShopConnection.marketplace_id, ShopConnection.id)))


def producers_shops(rows: list[ShopConnection]) -> Iterator[list[ShopConnection]]:
    """The connections grouped by producer and marketplace (`rows` are in that order)."""
    for _key, shops in groupby(rows, key=lambda c: (c.producer_id, c.marketplace_id)):
        yield list(shops)


def shop_targets(platform: ModuleType, shops: list[ShopConnection], condition,
                 hosts) -> Iterator[Asked]:
    """The producer's listings on the shops' marketplace matching `condition` that the shops
    may answer for: those whose address names one of them, or names no shop."""
    first = shops[0]
    held = {c.shop_id for c in shops}
    mine = and_(condition, Listing.marketplace_id == first.marketplace_id,
                Listing.product_id.in_(select(Product.id).where(
                    Product.producer_id == first.producer_id)))
    for target in scope.targets(mine, hosts):
        ids = platforms.shop_and_item(platform, target.url)
        if ids is not None and (ids[0] is None or ids[0] in held):
            yield Asked(target, *ids)


def settled(platform: ModuleType, partner: Partner, shops: list[ShopConnection],
            listings: list[Asked], http: requests.Session) -> Iterator[Result]:
    """Results for the listings the shops' API settled: one answered with the item (as it
    comes), or every shop that may hold it said it has no such item (once all were asked)."""
    pending = {asked.target.key: asked for asked in listings}
    absent: dict[int, list[Answer]] = {}
    for connection in shops:
        mine = [a for a in pending.values() if a.shop_id in (None, connection.shop_id)]
        for answer in answers(platform, partner, connection, mine, http):
            if answer.item is None:
                absent.setdefault(answer.asked.target.key, []).append(answer)
            else:
                del pending[answer.asked.target.key]
                yield result(platform, [answer])
    for key, asked in pending.items():
        holders = {asked.shop_id} if asked.shop_id else {c.shop_id for c in shops}
        if {a.connection.shop_id for a in absent.get(key, [])} == holders:
            yield result(platform, absent[key])


def answers(platform: ModuleType, partner: Partner, connection: ShopConnection,
            listings: list[Asked], http: requests.Session) -> Iterator[Answer]:
    """What the connection's shop says of each of `listings`, a call at a time; listings whose
    call failed are left out. Stops, noting why on the connection, when the shop cannot be
    asked (see the module's docstring)."""
    if not listings:
        return
    grant = operations.usable_grant(connection, http, utcnow())
    db.session.commit()  # a refreshed grant, or why there is none
    if grant is None:
        return
    wanted: dict[str, list[Asked]] = {}
    for asked in listings:
        wanted.setdefault(asked.item_id, []).append(asked)
    renewed = False
    for call in chunks(sorted(wanted), platform.BATCH):
        started = time.monotonic()
        try:
            try:
                items = platform.items(partner, grant, call, http, utcnow())
            except AuthExpired:
                if renewed:
                    raise
                renewed = True
                if not operations.renew(connection, http, utcnow()):
                    db.session.commit()  # why it failed
                    return
                db.session.commit()
                grant = operations.grant_of(connection)
                items = platform.items(partner, grant, call, http, utcnow())
        except Exception as exc:  # a failing client must not stop the run either
            if about_items(exc):
                continue  # their pages say
            operations.failed(connection, exc, utcnow())
            db.session.commit()
            return
        elapsed = round(time.monotonic() - started, 3)
        for item_id in call:
            for asked in wanted[item_id]:
                yield Answer(asked, connection, items.get(item_id), elapsed, len(call))


def about_items(exc: Exception) -> bool:
    """Whether a failed call says something about the items it asked (another seller's, an
    id refused), not about the shop's authorization or the platform itself."""
    return (isinstance(exc, PlatformError) and not isinstance(exc, AuthExpired | AuthRevoked)
            and exc.code not in NO_ANSWER)


def chunks(values: Iterable, size: int = BATCH) -> Iterator[list]:
    """`values` `size` at a time."""
    values = iter(values)
    while chunk := list(islice(values, size)):
        yield chunk


def result(platform: ModuleType, said: list[Answer]) -> Result:
    """The result of a listing from what its shops said: the one that answered with its item,
    or every one that said it has no such item."""
    first = said[0]
    verdict, rule = platform.verdict(first.item)
    return Result(first.asked.target, verdict, evidence(platform, said, rule), utcnow())


def evidence(platform: ModuleType, said: list[Answer], rule: str) -> dict:
    """What the API said of one listing, JSON-ready, beside the rule that decided."""
    first = said[0]
    item = first.item
    return {
        "route": "seller_api",
        "platform": platform.NAME,
        "document": platform.DOCUMENT,
        "marketplace": first.connection.marketplace.name,
        "url": first.asked.target.url,
        "shop_id": ", ".join(a.connection.shop_id for a in said),
        "item_id": first.asked.item_id,
        "rule": rule,
        "status_field": status_field(platform),
        "detail": item.status if item else None,
        "api_status": item.status if item else None,
        "stock": item.stock if item else None,
        "title": item.title if item else None,
        "price": item.price if item else None,
        "availability": None if item is None or item.stock is None else str(item.stock),
        "elapsed": first.elapsed,  # the call's, shared by its `batch` items
        "batch": first.batch,
        "attempts": len(said),
    }


def status_field(platform: ModuleType) -> str | None:
    """The API's name for an item's status ("item_status" on Shopee), as the platform's rules
    spell it ("seller_api-item_status-NORMAL")."""
    for _verdict, rule in platform.ITEM_STATUSES.values():
        parts = rule.split("-")
        if len(parts) == 3:
            return parts[1]
    return None
