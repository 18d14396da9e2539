"""The figures as of one month's end (today, for the month in progress), whole and broken
down, with the sentence for the report and the runs they come from: what the dashboard and the
monthly report show."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from ..extensions import db
from ..models import CATEGORIES, CheckRun
from . import assemble, sentences, sources
from .figures import Filters, Headline, Row


@dataclass
class Snapshot:
    """The figures at one moment and what they are made of."""

    month: date
    source: sources.Source
    head: Headline
    breakdowns: dict[str, list[Row]]
    summary: str


def take(month: date, filters: Filters, now: datetime) -> Snapshot:
    """The figures at the end of `month`: frozen ones once it is over, today's before."""
    source = sources.of_month(month, now)
    cells = source.cells(filters)
    head = assemble.headline(source, filters, cells)
    breakdowns = assemble.breakdowns(source, filters, cells)
    by_size = sorted(breakdowns["marketplace"], key=lambda r: (-r.online.part, r.label))
    summary = sentences.summary(head, by_size, filters,
                                str(CATEGORIES[filters.category]) if filters.category else None)
    return Snapshot(month, source, head, breakdowns, summary)


def run_rows(snapshot: Snapshot) -> list[tuple[dict, CheckRun | None]]:
    """The runs whose checks the figures rest on ({"id", "checks"}), each with its record
    (None for a run deleted since)."""
    runs = snapshot.source.runs()
    found = {run.id: run for run in db.session.scalars(
        select(CheckRun).where(CheckRun.id.in_([r["id"] for r in runs])))}
    return [(entry, found.get(entry["id"])) for entry in runs]
