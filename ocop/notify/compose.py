"""The words of a message: its subject, plain text and HTML (templates/notify/), in the person's
language (Vietnamese unless they chose English), saying why they got it and carrying the signed
unsubscribe link; and the JSON a webhook receives. Links point into the app at OCOP_PUBLIC_URL.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..localtime import local
from ..models import EVENT_KINDS, FREQUENCIES, ROLES
from . import tokens
from .audience import Recipient

# Events of one kind a digest lists; an officer's daily digest after a province-wide run may hold
# thousands, which a mail is no place for (the webhook's JSON carries them all).
SHOWN = 20


@dataclass(frozen=True)
class Item:
    """One event as messages tell it: what happened, when, and to what (names as recorded in
    the event's data when it has them, else the records' current ones)."""

    id: int
    kind: str
    at: datetime
    day: date  # the province's date at `at`, which digests go by
    producer_id: int | None
    product: str | None
    code: str | None
    expires_on: date | None
    listing_id: int | None
    listing_url: str | None
    marketplace: str | None
    run_id: int | None
    note: str | None  # a refusal's reason, a failure's error: what the record says of it
    closes: date | None = None  # the month a month_closed event closes

    @property
    def link(self) -> str:
        """Where in the app to look at it."""
        if self.listing_id is not None:
            return app_url(f"/listings/{self.listing_id}")
        if self.code is not None:
            return app_url(f"/products/{self.code}")
        if self.run_id is not None:
            return app_url(f"/checks/{self.run_id}")
        return app_url("/dashboard/")


@dataclass
class Message:
    """A composed message; `body` is what the outbox keeps for an email."""

    subject: str
    text: str
    html: str
    language: str
    reason: str
    unsubscribe: str

    @property
    def body(self) -> dict:
        return {"text": self.text, "html": self.html, "language": self.language,
                "reason": self.reason, "unsubscribe": self.unsubscribe}


def app_url(path: str) -> str:
    """An absolute address in the app (relative when OCOP_PUBLIC_URL is unset)."""
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path


def language(recipient: Recipient | None) -> str:
    """The language a person's messages are written in."""
    chosen = recipient.language if recipient else None
    config = current_app.config
    return chosen if chosen in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def when(moment: datetime) -> str:
    """A stored moment as the province's clock reads it."""
    return local(moment).strftime("%d/%m/%Y %H:%M")


def reason(recipient: Recipient, kinds: list[str], frequency: str) -> str:
    """Why this person got the message (in the current locale)."""
    named = ", ".join(f"“{EVENT_KINDS[k]}”" for k in kinds)
    if recipient.role == "producer":
        return _("Bạn nhận thư này vì tài khoản %(email)s của %(producer)s đã chọn nhận tin "
                 "%(kinds)s về sản phẩm của mình (%(frequency)s).", email=recipient.email,
                 producer=recipient.producer, kinds=named, frequency=FREQUENCIES[frequency])
    return _("Bạn nhận thư này vì tài khoản %(email)s (%(role)s) đã chọn nhận tin %(kinds)s "
             "của tỉnh (%(frequency)s).", email=recipient.email, role=ROLES[recipient.role],
             kinds=named, frequency=FREQUENCIES[frequency])


def subject(items: list[Item], frequency: str, period: date | None,
            month: dict | None) -> str:
    """The subject line: the event itself, or the digest's period and size."""
    if frequency == "instant":
        item = items[0]
        about = item.product or item.marketplace
        return (f"[OCOP] {EVENT_KINDS[item.kind]}: {about}" if about
                else f"[OCOP] {EVENT_KINDS[item.kind]}")
    if frequency == "daily":
        return _("[OCOP] Tin ngày %(day)s: %(n)d sự kiện", day=period.strftime("%d/%m/%Y"),
                 n=len(items))
    if month is not None:
        return _("[OCOP] Số liệu tháng %(month)s đã chốt", month=period.strftime("%m/%Y"))
    return _("[OCOP] Tin tháng %(month)s: %(n)d sự kiện", month=period.strftime("%m/%Y"),
             n=len(items))


def message(recipient: Recipient, items: list[Item], frequency: str, period: date | None = None,
            month: dict | None = None) -> Message:
    """The email telling `recipient` of `items` (one at once, or a digest of `period`: a day,
    or a month's first day), with the month's figures (`month.figures`) in an officer's
    monthly digest."""
    lang = language(recipient)
    kinds = sorted({i.kind for i in items} | ({"month_closed"} if month else set()),
                   key=list(EVENT_KINDS).index)
    unsubscribe = tokens.link(recipient.id, kinds[0] if frequency == "instant" else tokens.EVERY)
    with force_locale(lang):
        why = reason(recipient, kinds, frequency)
        title = subject(items, frequency, period, month)
        context = {"items": grouped(items), "period": period, "month": month,
                   "subject": title, "language": lang, "reason": why,
                   "unsubscribe": unsubscribe, "kinds": EVENT_KINDS, "when": when,
                   "everything": app_url("/" if recipient.role == "producer" else "/dashboard/")}
        return Message(title, render_template("notify/message.txt", **context),
                       render_template("notify/message.html", **context), lang, why,
                       unsubscribe)


def grouped(items: list[Item]) -> list[tuple[str, list[Item], int]]:
    """A digest's events by kind, in the order kinds are listed: the first SHOWN of each,
    oldest first, and how many more there are (the app lists them all)."""
    order = list(EVENT_KINDS)
    by_kind: dict[str, list[Item]] = {}
    for item in sorted(items, key=lambda i: (order.index(i.kind), i.at, i.id)):
        by_kind.setdefault(item.kind, []).append(item)
    return [(kind, found[:SHOWN], len(found) - SHOWN if len(found) > SHOWN else 0)
            for kind, found in by_kind.items()]


def payload(message_id: str, kind: str, why: str, items: list[Item], sent_for: str) -> dict:
    """The JSON a webhook receives: the delivery's id (the same on a resend), what it is about
    and every event, with its link into the app."""
    return {"id": message_id, "kind": kind, "reason": why, "sent_for": sent_for,
            "events": [{"id": i.id, "kind": i.kind, "at": i.at.isoformat() + "Z",
                        "product": i.product, "code": i.code, "listing": i.listing_url,
                        "marketplace": i.marketplace, "note": i.note, "url": i.link}
                       for i in items]}


def for_province(items: list[Item]) -> tuple[str, str]:
    """Why the province's webhook gets an event, and its subject, in the app's language."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return (_("Webhook của tỉnh do quản trị viên đặt nhận mọi sự kiện ngay khi có."),
                subject(items, "instant", None, None))
