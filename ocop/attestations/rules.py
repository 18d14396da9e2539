"""When a person may attest a listing, and what state an attestation is in: pure rules, kept
apart from the transaction that applies them (operations.py).

Which listings may be attested, decided on the latest check's verdict (`last_verdict`):
- blocked, unreachable, unknown: yes. None of them is evidence either way (DOMAIN.md 2, 3 and 5):
  the machine could not see the page. Unreachable is included although it is often transient:
  marketplaces that refuse bots by dropping or stalling connections (Cloudflare in front of
  Voso) show up as unreachable after every retry, and a person's screenshot is then the only
  evidence there is. A later removal a machine confirms still overrides it.
- active, out_of_stock: no, a machine just saw it on sale; a person's word adds nothing.
- removed, unlisted: no, the machine's positive evidence that it is not on sale stands (a
  not-found still waiting for its confirming second look is `removed` here too).
- never checked: no. Nobody knows yet that a machine cannot see it; the next run (or an
  officer's "Kiểm tra ngay") will tell, and only then is a person's word needed.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_

from scrapers.model import DECISIVE

from ..checks.record import ONLINE
from ..models import Attestation, Check, Listing, User


def removal_confirmed():
    """SQL: a check at which a machine saw the listing gone and its status is removed — the
    removal that ends any attestation made before it (a blocked check of a listing removed
    long ago keeps status_after 'removed' but saw nothing, so it does not)."""
    return and_(Check.verdict == "removed", Check.status_after == "removed")


def listing_refusal(listing: Listing) -> str | None:
    """Why nobody may attest `listing` now, or None when someone may."""
    verdict = listing.last_verdict
    if not listing.approved:
        return _("Gian hàng này chưa được duyệt: chỉ xác nhận được gian hàng đã duyệt.")
    if verdict is None:
        return _("Gian hàng này chưa được kiểm tra lần nào. Máy sẽ kiểm tra trước; chỉ cần "
                 "người xác nhận khi máy không xem được trang.")
    if verdict in ONLINE:
        return _("Máy vừa thấy gian hàng này đang bán ở lần kiểm tra gần nhất, nên không cần "
                 "người xác nhận.")
    if verdict in DECISIVE:
        return _("Lần kiểm tra gần nhất cho thấy gian hàng đã gỡ hoặc ẩn khỏi sàn; không xác "
                 "nhận đang bán được.")
    return None


def author_refusal(listing: Listing, user: User) -> str | None:
    """Why `user` may not attest `listing`: only an officer or the listing's producer may."""
    if user.can("officer") or (user.producer_id is not None
                               and user.producer_id == listing.product.producer_id):
        return None
    return _("Chỉ cán bộ hoặc chủ thể của sản phẩm này mới xác nhận được gian hàng của nó.")


def date_refusal(seen_on: date | None, today: date) -> str | None:
    """Why `seen_on` is not a day someone may say they saw it on sale: it must fall in the
    current month (the province's calendar) and not after today."""
    if seen_on is None:
        return _("Hãy nhập ngày bạn thấy sản phẩm đang bán.")
    if seen_on > today:
        return _("Ngày thấy đang bán không được ở tương lai.")
    if (seen_on.year, seen_on.month) != (today.year, today.month):
        return _("Ngày thấy đang bán phải trong tháng này (từ %(first)s đến %(today)s).",
                 first=today.replace(day=1).strftime("%d/%m/%Y"),
                 today=today.strftime("%d/%m/%Y"))
    return None


def duplicate_refusal() -> str:
    """Why a second attestation of a listing in the same month is refused."""
    return _("Gian hàng này đã có một xác nhận trong tháng này; hãy rút xác nhận đó trước nếu "
             "muốn ghi lại.")


STATES = ("waiting", "counting", "withdrawn", "refused", "ended", "overridden")


@dataclass(frozen=True)
class State:
    """Where an attestation stands at a moment, and since or until when."""

    name: str  # one of STATES
    at: datetime | None = None  # withdrawn/refused/overridden: when; counting/ended: counts_until


def state(attestation: Attestation, now: datetime, removed_at: datetime | None) -> State:
    """The attestation's state at `now`; `removed_at` is the first removal a machine confirmed
    after it was made (`removal_confirmed`), if any."""
    a = attestation
    if removed_at is not None and removed_at > now:
        removed_at = None
    if a.withdrawn_at is not None and (removed_at is None or a.withdrawn_at <= removed_at):
        refused = a.confirmed_at is None and a.withdrawn_by_id != a.created_by_id
        return State("refused" if refused else "withdrawn", a.withdrawn_at)
    if removed_at is not None and removed_at < a.counts_until:
        return State("overridden", removed_at)
    if now > a.counts_until:  # its last moment still counts, as in the month's close
        return State("ended", a.counts_until)
    if a.confirmed_at is None:
        return State("waiting")
    return State("counting", a.counts_until)
