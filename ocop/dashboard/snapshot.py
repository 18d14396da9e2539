"""The figures as of one month's end (today, for the month in progress), whole and broken
down, with the sentence for the report and the runs they come from: what the dashboard and the
monthly report show."""

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..localtime import month_end, month_of
from ..models import CATEGORIES, CheckRun, MonthClose
from . import figures, months, sentences
from .figures import Filters, Headline, Row

MONTH = re.compile(r"(\d{4})-(\d{2})")


class BadMonth(ValueError):
    """A month the report cannot be made for; the message says why, in Vietnamese."""


def parse_month(raw: str, now: datetime) -> date:
    """"YYYY-MM" as the month's first day; refuses other shapes and months to come."""
    match = MONTH.fullmatch((raw or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise BadMonth(_l("Tháng phải có dạng YYYY-MM, ví dụ 2026-11."))
    month = date(int(match[1]), int(match[2]), 1)
    if month > month_of(now):
        raise BadMonth(_l("Tháng %(month)s chưa đến.", month=month.strftime("%m/%Y")))
    return month


@dataclass
class Snapshot:
    """The figures at one moment and what they are made of."""

    month: date
    as_of: datetime
    closing: MonthClose | None  # None: the month in progress, from today's statuses
    head: Headline
    breakdowns: dict[str, list[Row]]
    summary: str


def closed(month: date, now: datetime) -> MonthClose:
    """The closing of a month that is over, made now if no run has made it yet."""
    closing = db.session.get(MonthClose, month)
    if closing is None and month_end(month) + months.GRACE > now:
        raise BadMonth(_l("Tháng %(month)s vừa kết thúc; số liệu được chốt sau ít phút.",
                          month=month.strftime("%m/%Y")))
    if closing is None and month in months.due(now):
        try:
            closing = months.close(month)
        except IntegrityError:  # another process closed it meanwhile
            db.session.rollback()
            closing = db.session.get(MonthClose, month)
    if closing is None:
        raise BadMonth(_l("Chưa có lượt kiểm tra nào trước cuối tháng %(month)s.",
                          month=month.strftime("%m/%Y")))
    return closing


def take(month: date, filters: Filters, now: datetime) -> Snapshot:
    """The figures at the end of `month`: frozen ones once it is over, today's before."""
    if month >= month_of(now):
        closing, as_of = None, now
        cells = figures.cube(filters, now)
        head = figures.headline(filters, now, cells)
        breakdowns = {dim: figures.breakdown(dim, filters, now, cells)
                      for dim in figures.DIMENSIONS}
    else:
        closing = closed(month, now)
        as_of = closing.as_of
        cells = months.cube(closing, filters)
        head = months.headline(closing, filters, cells)
        breakdowns = {dim: months.breakdown(dim, closing, filters, cells)
                      for dim in figures.DIMENSIONS}
    by_size = sorted(breakdowns["marketplace"], key=lambda r: (-r.online.part, r.label))
    summary = sentences.summary(head, by_size, filters,
                                str(CATEGORIES[filters.group]) if filters.group else None)
    return Snapshot(month, as_of, closing, head, breakdowns, summary)


def run_rows(snapshot: Snapshot) -> list[tuple[dict, CheckRun | None]]:
    """The runs whose checks the figures rest on ({"id", "checks"}), each with its record
    (None for a run deleted since)."""
    runs = (snapshot.closing.runs if snapshot.closing is not None else
            months.runs_between(figures.window_start(snapshot.as_of), snapshot.as_of))
    found = {run.id: run for run in db.session.scalars(
        select(CheckRun).where(CheckRun.id.in_([r["id"] for r in runs])))}
    return [(entry, found.get(entry["id"])) for entry in runs]

