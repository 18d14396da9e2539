"""Sending what the outbox holds: claim, send, record; never twice in normal operation and
never dropped silently.

A delivery moves queued → sending → sent, or back to queued with a longer wait, or to failed
after OCOP_NOTIFY_TRIES tries (or at once when trying again cannot help), with the reason in
`last_error`. The claim is committed BEFORE anything is sent, and outcomes are committed a few
at a time (RECORD_EVERY), so a crash leaves at most the rows of the batch in hand `sending`.

While a row is `sending`, `next_at` is when its claim lapses (OCOP_NOTIFY_CLAIM_SECONDS): a row
still `sending` after that was left by a stopped sender, and it is claimed again like a due
one. The relay may already have that message (the crash fell between its acceptance and our
record), so it may arrive twice, never more than that for one crash, and with the same
Message-ID (a webhook: the same X-OCOP-Delivery), which lets a mail client or a receiver fold
the copies. Each claim counts as a try, so a message that keeps crashing its sender fails too.

Claims skip rows another sender holds (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite takes one
writer at a time), so a cron `ocop notify send` and an RQ job may run together.
"""

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import and_, case, func, select, update

from ..checks import dispatch as jobs
from ..extensions import db
from ..models import Delivery, utcnow
from .channels import Sender, SendError, sender

BATCH = 50  # rows claimed at a time: few enough to send well before the claim lapses
# Outcomes are committed this many at a time: a round trip per message halved the rate on a
# busy database; the price is that a crash may resend up to this many messages, each once.
RECORD_EVERY = 10
ERROR_LENGTH = 500
INTERRUPTED = "interrupted while sending; sent again with the same Message-ID"


def enabled() -> bool:
    """Whether notifications are on: an SMTP relay is configured (OCOP_MAIL_SERVER)."""
    return bool(current_app.config["MAIL_SERVER"])


@dataclass
class Counts:
    """What one `deliver` did."""

    sent: int = 0
    retrying: int = 0  # back in the queue, to be tried again later
    failed: int = 0

    @property
    def tried(self) -> int:
        return self.sent + self.retrying + self.failed

    def add(self, state: str) -> None:
        """Count one delivery that ended its try in `state`."""
        if state == "sent":
            self.sent += 1
        elif state == "queued":
            self.retrying += 1
        else:
            self.failed += 1


def due(now: datetime):
    """Rows to claim: queued and due, or `sending` under a claim that has lapsed."""
    return and_(Delivery.state.in_(("queued", "sending")), Delivery.next_at <= now)


def claim(now: datetime, limit: int) -> list[int]:
    """Mark up to `limit` due rows, the longest waiting, `sending` (a try each) and commit;
    their ids, in order.
    A lapsed claim is noted in `last_error`, so the page shows the message went out twice."""
    # A CTE, evaluated once: PostgreSQL may run a plain IN (subquery) again for each row it
    # updates, each run locking the next `limit` rows, and so claim the whole queue.
    picked = (select(Delivery.id).where(due(now)).order_by(Delivery.next_at, Delivery.id)
              .limit(limit).with_for_update(skip_locked=True).cte("picked"))
    lease = now + timedelta(seconds=int(current_app.config["NOTIFY_CLAIM_SECONDS"]))
    claimed = db.session.execute(
        update(Delivery).where(Delivery.id.in_(select(picked.c.id)), due(now))
        .values(state="sending", tries=Delivery.tries + 1, next_at=lease,
                last_error=func.coalesce(
                    case((Delivery.state == "sending", INTERRUPTED)), Delivery.last_error))
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)).scalars().all()
    db.session.commit()
    return sorted(claimed)


def outcome(delivery: Delivery, error: SendError | None, now: datetime) -> dict:
    """The row's new values after a try: sent, queued again after a wait that doubles with
    each try, or failed (`next_at`: when it was last tried)."""
    if error is None:
        return {"state": "sent", "sent_at": utcnow()}
    last_error = str(error)[:ERROR_LENGTH]
    if error.retry and delivery.tries < int(current_app.config["NOTIFY_TRIES"]):
        backoff = int(current_app.config["NOTIFY_BACKOFF"]) * 2 ** delivery.tries
        return {"state": "queued", "next_at": now + timedelta(seconds=backoff),
                "last_error": last_error}
    return {"state": "failed", "next_at": now, "last_error": last_error}


def record(outcomes: list[dict]) -> None:
    """Write and commit outcomes (each with the row's `id`), then forget them."""
    if outcomes:
        db.session.execute(update(Delivery), outcomes)
        db.session.commit()
        outcomes.clear()


def deliver(now: datetime | None = None, limit: int | None = None) -> Counts:
    """Send what is due at `now` (at most `limit` messages); nothing when notifications are
    off, so nothing is lost either: it waits in the queue."""
    counts = Counts()
    if not enabled():
        return counts
    now = now or utcnow()
    senders: dict[str, Sender] = {}
    outcomes: list[dict] = []
    try:
        while limit is None or counts.tried < limit:
            batch = BATCH if limit is None else min(BATCH, limit - counts.tried)
            ids = claim(now, batch)
            if not ids:
                break
            rows = {row.id: row for row in db.session.scalars(
                select(Delivery).where(Delivery.id.in_(ids)))}
            for row in rows.values():  # snapshots: committing outcomes need not reload them
                db.session.expunge(row)
            for delivery_id in ids:
                delivery = rows[delivery_id]
                channel = senders.get(delivery.channel)
                if channel is None:
                    channel = senders[delivery.channel] = sender(delivery.channel,
                                                                 current_app.config)
                try:
                    channel.send(delivery)
                    error = None
                except SendError as exc:
                    error = exc
                values = outcome(delivery, error, now)
                outcomes.append({"id": delivery_id, **values})
                counts.add(values["state"])
                if len(outcomes) == RECORD_EVERY:
                    record(outcomes)
            record(outcomes)
    except BaseException:
        db.session.rollback()
        record(outcomes)  # what went out before an unexpected error is recorded still
        raise
    finally:
        for channel in senders.values():
            channel.close()
    return counts


class NotRetryable(ValueError):
    """A delivery that was sent already (or is being sent): there is nothing to retry."""


def retry(delivery_id: int) -> Delivery:
    """Put a failed or waiting delivery back in the queue, due now, with its tries counted
    afresh; the caller commits. NotRetryable for one sent or being sent."""
    delivery = db.get_or_404(Delivery, delivery_id)
    if delivery.state not in ("failed", "queued"):
        raise NotRetryable(delivery.state)
    delivery.state, delivery.tries, delivery.next_at = "queued", 0, utcnow()
    return delivery


def deliver_job() -> None:
    """An RQ job: send what is due (run by `ocop worker`)."""
    try:
        deliver()
    finally:
        db.session.remove()  # the worker's next job starts with a clean session


def dispatch() -> threading.Thread | None:
    """Have what is due sent without making the caller wait: an RQ job when OCOP_REDIS_URL is
    set, else a thread of this process (returned, so a test can wait for it)."""
    if not enabled():
        return None
    if jobs.enabled():  # the check queue: `ocop worker` processes listen on it
        jobs.queue().enqueue(deliver_job)
        return None
    return in_background(current_app._get_current_object())


def in_background(app: Flask) -> threading.Thread:
    """Send what is due on a thread of this process."""

    def target() -> None:
        with app.app_context():
            try:
                deliver()
            except Exception:  # what was claimed stays `sending` and is sent again later
                app.logger.exception("sending notifications failed")
            finally:
                db.session.remove()

    # Not a daemon: `ocop check` ends once its run is recorded, and waits for the sending
    # instead of cutting it off mid-message.
    thread = threading.Thread(target=target, name="notify-deliver")
    thread.start()
    return thread
