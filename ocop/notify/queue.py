"""Turning the events due into messages in the outbox, each once.

What is due at `now`, for each person who hears anything (`audience`), from their start on:

- an event they hear about **at once**: one message per event and channel
  (`event:<event id>:user:<user id>:<channel>`);
- the events they hear about **daily**: one digest per finished day in the province with any
  (`daily:<YYYY-MM-DD>:user:<user id>:<channel>`);
- the events they hear about **monthly**: one digest per month once a `month_closed` event
  says it is closed (`monthly:<YYYY-MM>:user:<user id>:<channel>`), with the month's figures
  for those who hear about the closed month monthly (officers, by default); its events are
  the month's own, from the person's account creation on;
- and the province's webhook, when set, every event at once (`event:<id>:province:webhook`).

The keys are the outbox's unique key: the queue composes only the messages whose key is not
there yet and inserts them with ON CONFLICT DO NOTHING, so a second run (or two at once)
queues nothing again. A digest's key is its period: an event recorded for a day after that
day's digest was queued is not added to it. Nothing here commits: the caller does.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from urllib.parse import urlsplit
from uuid import uuid4

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..localtime import local_date, stored, zone
from ..models import Delivery, Event, Listing, Marketplace, Product, User, utcnow
from . import audience, compose, month, webhooks
from .audience import Channel, Recipient
from .once import insert_new

BATCH = 1000  # keys looked up, or rows inserted, per statement
BATCH_BYTES = 4_000_000  # ...or fewer rows, when their mails are this long together
EXPIRY_KINDS = ("certificate_90", "certificate_30", "expired_on_sale")  # they tell the date
DIGEST_KINDS = {"daily": "daily_digest", "monthly": "monthly_digest"}  # a webhook's "kind"


@dataclass
class Pending:
    """One message to compose for one person (or the province), to each of its channels."""

    base: str  # the idempotency key without the channel
    recipient: Recipient | None  # None: the province's webhook
    channels: list[Channel]
    items: list[compose.Item]
    frequency: str
    period: date | None = None
    closed: date | None = None  # the month whose figures it carries
    keys: dict[str, str] = field(init=False)

    def __post_init__(self):
        self.keys = {c.name: f"{self.base}:{c.name}" for c in self.channels}


def load_items(since: datetime, until: datetime) -> list[compose.Item]:
    """The events recorded from `since` to `until`, with what messages say of them."""
    product_id = func.coalesce(Event.product_id, Listing.product_id)
    rows = db.session.execute(
        select(Event.id, Event.kind, Event.at, func.coalesce(Event.producer_id,
                                                             Product.producer_id),
               Event.listing_id, Event.run_id, Event.data, Product.name, Product.code,
               Product.expires_on, Listing.canonical_url, Listing.refusal, Marketplace.name)
        .outerjoin(Listing, Listing.id == Event.listing_id)
        .outerjoin(Product, Product.id == product_id)
        .outerjoin(Marketplace, Marketplace.id == Listing.marketplace_id)
        .where(Event.at >= since, Event.at <= until).order_by(Event.at, Event.id))
    items = []
    for (id_, kind, at, producer_id, listing_id, run_id, data, product, code, expires_on,
         url, refusal, marketplace) in rows:
        data = data or {}
        items.append(compose.Item(
            id_, kind, at, local_date(at), producer_id, data.get("product", product),
            data.get("code", code),
            expires_on if kind in EXPIRY_KINDS else None, listing_id, data.get("listing", url),
            data.get("marketplace", marketplace), run_id,
            data.get("note", refusal if kind == "proposal_refused" else None),
            month.closed_month(data, at) if kind == "month_closed" else None))
    return items


def closings(since: datetime, until: datetime) -> dict[date, datetime]:
    """The months closed by a `month_closed` event from `since` to `until`: when each was."""
    found: dict[date, datetime] = {}
    for at, data in db.session.execute(select(Event.at, Event.data).where(
            Event.kind == "month_closed", Event.at >= since, Event.at <= until)):
        found.setdefault(month.closed_month(data or {}, at), at)
    return found


def pending(now: datetime, user_ids: list[int] | None = None) -> list[Pending]:
    """Every message due at `now` (for `user_ids` only, without the province's webhook, when
    given), whether queued already or not."""
    people = audience.recipients(user_ids)
    hook = webhooks.of_province() if user_ids is None else None
    earliest = now - audience.HORIZON
    closed = closings(earliest, now)
    since = min([earliest, *(stored(datetime.combine(m, time(), zone())) for m in closed)])
    items = load_items(since, now)
    by_producer: dict[int | None, list[compose.Item]] = defaultdict(list)
    for item in items:
        by_producer[item.producer_id].append(item)
    found = []
    for person in people:
        mine = by_producer[person.producer_id] if person.role == "producer" else items
        found += for_person(person, [i for i in mine if person.hears(i.kind, i.producer_id)],
                            closed, now)
    if hook is not None:
        start = max(earliest, hook.created_at)
        channel = [Channel("webhook", hook.url)]
        found += [Pending(f"event:{i.id}:province", None, channel, [i], "instant")
                  for i in items if i.at >= start]
    return found


def for_person(person: Recipient, heard: list[compose.Item], closed: dict[date, datetime],
               now: datetime) -> list[Pending]:
    """The messages due to one person, from the events they may hear about."""
    start = person.start(now)
    today = local_date(now)  # days before it are over
    user = f"user:{person.id}"
    found, days = [], defaultdict(list)
    for item in heard:
        if item.at < start:
            continue
        frequency = person.frequencies[item.kind]
        if frequency == "instant":
            found.append(Pending(f"event:{item.id}:{user}", person, person.channels, [item],
                                 "instant", closed=item.closes))
        elif frequency == "daily" and item.day < today:
            days[item.day].append(item)
    for day, told in sorted(days.items()):
        found.append(Pending(f"daily:{day.isoformat()}:{user}", person, person.channels, told,
                             "daily", period=day))
    monthly = person.kinds("monthly")
    for first, at in sorted(closed.items()):
        if not monthly or at < start:
            continue
        told = [i for i in heard if i.kind in monthly and i.kind != "month_closed"
                and i.at >= person.created_at and i.day.replace(day=1) == first]
        if told or "month_closed" in monthly:
            found.append(Pending(f"monthly:{first:%Y-%m}:{user}", person, person.channels, told,
                                 "monthly", period=first,
                                 closed=first if "month_closed" in monthly else None))
    return found


def unqueued(found: list[Pending]) -> list[Pending]:
    """`found` without the channels whose message is in the outbox already."""
    keys = [key for p in found for key in p.keys.values()]
    queued: set[str] = set()
    for start in range(0, len(keys), BATCH):
        queued.update(db.session.scalars(select(Delivery.key).where(
            Delivery.key.in_(keys[start:start + BATCH]))))
    left = []
    for p in found:
        channels = [c for c in p.channels if p.keys[c.name] not in queued]
        if channels:
            left.append(Pending(p.base, p.recipient, channels, p.items, p.frequency, p.period,
                                p.closed))
    return left


def host() -> str:
    """The Message-ID's right-hand side: OCOP_PUBLIC_URL's host."""
    return urlsplit(str(current_app.config["PUBLIC_URL"])).hostname or "ocop.local"


def rows(found: list[Pending], now: datetime) -> Iterator[dict]:
    """The outbox rows of `found`, composed (a month's figures read once per month)."""
    figures: dict[date, month.MonthFigures | None] = {}
    domain = host()
    for p in found:
        if p.closed is not None and p.closed not in figures:
            figures[p.closed] = month.figures(p.closed, now)
        shown = figures.get(p.closed) if p.closed else None
        if not p.items and shown is None:
            continue  # a closed month without frozen figures (yet), and nothing else to tell
        if p.recipient is None:
            why, title = compose.for_province(p.items)
        else:
            composed = compose.message(p.recipient, p.items, p.frequency, p.period, shown)
            why, title = composed.reason, composed.subject
        for channel in p.channels:
            message_id = f"<{uuid4().hex}@{domain}>"
            if channel.name == "email":
                body = composed.body
            else:
                kind = p.items[0].kind if p.frequency == "instant" else DIGEST_KINDS[p.frequency]
                body = compose.payload(message_id, kind, why, p.items,
                                       p.recipient.email if p.recipient else "province")
                if shown is not None:
                    body["month"] = shown.as_json()
            yield {"key": p.keys[channel.name], "message_id": message_id,
                   "user_id": p.recipient.id if p.recipient else None,
                   "channel": channel.name, "address": channel.address,
                   "subject": title[:300], "body": body,
                   "event_ids": [i.id for i in p.items], "state": "queued", "tries": 0,
                   "next_at": now, "created_at": now}


def queue_due(now: datetime) -> int:
    """Write to the outbox every message due at `now` that is not there yet; how many were
    written. The caller commits."""
    added, batch, size = 0, [], 0
    for row in rows(unqueued(pending(now)), now):
        batch.append(row)
        size += len(row["body"].get("html", "")) + len(row["body"].get("text", ""))
        if len(batch) == BATCH or size > BATCH_BYTES:
            added, batch, size = added + insert_new(Delivery, batch), [], 0
    return added + (insert_new(Delivery, batch) if batch else 0)


def after_run(_sender, run) -> None:
    """Queue what a finished run's events made due and have it sent without making the run
    wait (ocop.notify.outbox.dispatch). Connected after events.after_run; a failure here is
    logged, and the next run or `ocop notify send` queues what is missing."""
    from . import outbox

    try:
        queue_due(utcnow())
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("queuing the notifications of run %s failed", run.id)
        return
    outbox.dispatch()


def preview(user: User, now: datetime) -> list[dict]:
    """What `user` would receive if the queue ran now (what is due and not queued yet), as
    the outbox would hold it; writes nothing."""
    return [{k: row[k] for k in ("key", "channel", "address", "subject", "body", "event_ids")}
            for row in rows(unqueued(pending(now, [user.id])), now)]
