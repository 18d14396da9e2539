"""The province's calendar: times are stored as naive UTC, while certificates, months and
reports go by the local date (Asia/Ho_Chi_Minh by default, 7 hours ahead of UTC)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    """The province's time zone (BABEL_DEFAULT_TIMEZONE)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local(moment: datetime) -> datetime:
    """A stored (naive UTC) moment in the province's time."""
    return moment.replace(tzinfo=UTC).astimezone(zone())


def wall_clock(moment: datetime | None) -> datetime | None:
    """A stored moment as the province's clock reads it, without a zone (for spreadsheets)."""
    return None if moment is None else local(moment).replace(tzinfo=None)


def stored(moment: datetime) -> datetime:
    """A zone-aware moment as the database keeps it: naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def local_date(moment: datetime) -> date:
    """The date in the province at a stored moment."""
    return local(moment).date()


def day_end(day: date) -> datetime:
    """The last moment of `day` in the province, stored-style."""
    return stored(datetime.combine(day + timedelta(days=1), datetime.min.time(), zone())
                  ) - timedelta(microseconds=1)


def month_start(moment: datetime) -> datetime:
    """The first moment of the province's month holding `moment`, stored-style."""
    return stored(local(moment).replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def month_of(moment: datetime) -> date:
    """The first day of the province's month holding a stored moment."""
    return local_date(moment).replace(day=1)


def month_end(month: date) -> datetime:
    """The last moment of the province's month that starts on `month`, stored-style."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day_end(following - timedelta(days=1))
