"""What an officer's monthly digest says of a closed month: the headline share and its change
from the month before (from the months' frozen figures, as the dashboard's trend reads them),
what changed between the two months' ends (listings that came online, were confirmed removed,
or went dormant: the dashboard's "what changed" rule, between two frozen months), what needs a
human now (the dashboard's own counts), and the link to the monthly report. Reads only."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from ..attestations.queries import waiting_count as waiting_attestations
from ..dashboard import assemble, sources
from ..dashboard.changes import listing_changes
from ..dashboard.figures import Figure, Filters
from ..dashboard.views import attention
from ..extensions import db
from ..listings.queries import waiting_count as waiting_proposals
from ..localtime import local_date
from ..models import ListingMonth, MonthClose, add_months
from .compose import app_url


@dataclass
class MonthFigures:
    """A closed month as its digest tells it."""

    month: date
    share: Figure
    change: float | None  # percentage points since the month before; None: no month before
    came: int
    lost: int
    dormant: int
    attestations: int
    proposals: int
    troubled: int
    report: str

    def as_json(self) -> dict:
        """The figures as a webhook's payload carries them."""
        return {"month": f"{self.month:%Y-%m}", "online": self.share.part,
                "counted": self.share.whole, "share": self.share.percent,
                "change": self.change, "came_online": self.came, "removed": self.lost,
                "dormant": self.dormant, "attestations_waiting": self.attestations,
                "proposals_waiting": self.proposals, "listings_troubled": self.troubled,
                "report": self.report}


def closed_month(data: dict, at: datetime) -> date:
    """The month a `month_closed` event is about: its data's "month" ("YYYY-MM"), else the
    month before the one it was recorded in (a month is closed once it is over)."""
    match = sources.MONTH.match(str(data.get("month", "")))
    if match:
        return date(int(match[1]), int(match[2]), 1)
    return add_months(local_date(at).replace(day=1), -1)


def figures(month: date, now: datetime) -> MonthFigures | None:
    """The digest's figures of `month`; None when the month has no frozen figures."""
    closing = db.session.get(MonthClose, month)
    if closing is None:
        return None
    source = sources.Closed(closing)
    filters = Filters()
    share = assemble.headline(source, filters, source.cells(filters)).online
    before = add_months(month, -1)
    earlier = sources.closed_months(filters, before, month)
    change = None
    if earlier and share.percent is not None:
        _month, _as_of, counted, online, _buyable = earlier[0]
        previous = Figure(online, counted).percent
        change = None if previous is None else round(share.percent - previous, 1)
    came, lost, dormant = changed(month, before)
    return MonthFigures(month, share, change, came, lost, dormant, waiting_attestations(),
                        waiting_proposals(), attention(now, {})["troubled"].total,
                        app_url(f"/dashboard/report.xlsx?month={month:%Y-%m}"))


def changed(month: date, before: date) -> tuple[int, int, int]:
    """Listings that came online, were confirmed removed, or went dormant (online then, now
    neither online nor removed) between the ends of `before` and `month`, in one pass."""
    then = aliased(ListingMonth)
    was = func.coalesce(and_(then.online, then.approved), False)
    now = ListingMonth
    rule = listing_changes(was, now.online, now.status)
    return tuple(db.session.execute(
        select(*(func.count(case((rule[name], 1))) for name in ("came", "lost", "dormant")))
        .select_from(now)
        .outerjoin(then, and_(then.month == before, then.listing_id == now.listing_id))
        .where(now.month == month, now.approved)).one())
