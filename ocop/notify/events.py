"""The changes worth telling, recorded once each as `Event` rows.

Every event has a key naming what it is about and what found it, and rows are inserted with
"insert, do nothing on conflict" on that key: a rerun, a retry, a resumed run or a second call
finds the same events and adds nothing. Each is found by one set-based query (never one per
listing) and keeps in `data` what a message will say of it, as it was then: `product` (its
name), `code`, `producer_name`, `listing` (its address), `marketplace`, `note` (a refusal's
reason, a failed run's error), `month` ("YYYY-MM"), and per kind the verdict, the statuses
before and after, the dates.

The rules, per kind (a listing's status *before* a check is the `status_after` of its previous
check, in time; none before its first):

- `listing_removed`: a check of the run left the listing `removed` and it was not before: a
  removal confirmed by the run's second look (phase 2), or the marketplace's own answer through
  the seller's account (phase 1, authoritative: `checks.record.apply`).
- `listing_out_of_stock`: a check of the run found it sold out and it was on sale (`active`).
- `listing_back`: a check of the run found it on sale (`active`) after it was sold out, hidden
  by the seller (`unlisted`) or removed; or after it was unseen: a `listing_unseen` event was
  recorded for it and no `listing_back` since. A single blocked check before being seen on sale
  again tells nobody anything (nobody heard it was unseen).
- `listing_unseen`: on a monthly run (scope `due`, which `ocop check` runs from cron on the
  first nights of each month, or `all`: the runs over the whole province; a run belongs to the
  province's month it was started in), the listing's check was blocked or unreachable; nothing
  else saw it this month before that check (every check since the month began was blocked or
  unreachable); and last month a monthly run found it blocked or unreachable and no check of
  any run saw it (any other verdict, unknown included, reached the listing); and it is not
  confirmed removed (that was told already). Keyed by the month: once per listing and month,
  whatever the nights retry.
- `run_failed`: the run ended failed; `marketplace_degraded`: each marketplace the run's
  breaker found degraded.
- `month_closed`: each closed month (`MonthClose`), once; recorded after a run (which closes
  months) and by `find_due`.
- `certificate_90` / `certificate_30`: a product not withdrawn whose certificate expires in
  31 to 90 days / 0 to 30 days from today in the province (one warning per window, not two the
  same day); keyed by the expiry date, so a renewed certificate warns again.
- `expired_on_sale`: an approved listing on sale (`active`) of a product whose certificate has
  expired (and that is not withdrawn), once per listing and expiry date.
- `proposal_approved` / `proposal_refused`: an officer's decision on a producer's proposed
  listing, recorded in the decision's transaction (`proposal_decided`).
"""

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..localtime import local_date, month_start
from ..models import (
    Check,
    CheckRun,
    Event,
    Listing,
    Marketplace,
    MonthClose,
    Producer,
    Product,
    utcnow,
)
from .once import insert_new

UNSEEN = ("blocked", "unreachable")  # verdicts that did not see the listing at all
MONTHLY_SCOPES = ("due", "all")  # runs over the whole province: `ocop check` and "all"
NOT_ON_SALE = ("out_of_stock", "unlisted", "removed")  # statuses `listing_back` ends
WARNINGS = (("certificate_30", 0, 30), ("certificate_90", 31, 90))  # kind, days left from, to


def store(rows: list[dict]) -> int:
    """Insert the events `rows` in one INSERT (sent in batches of rows), skipping keys already
    recorded; how many were new. The caller commits."""
    if not rows:
        return 0
    now = utcnow()
    full = [{"producer_id": None, "product_id": None, "listing_id": None, "run_id": None,
             "at": now, **row} for row in rows]
    return insert_new(Event, full)


def after_run(_sender, run: CheckRun) -> None:
    """Record what a finished (done or failed) run found, and the months it closed; commits.
    A failure here leaves the run as it ended: it is logged, and calling again records what is
    missing (nothing twice)."""
    try:
        record_run(db.session.get(CheckRun, run.id))
        record_month_closes()
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("recording the events of run %s failed", run.id)


def record_run(run: CheckRun) -> int:
    """Record the events of `run`; how many were new. The caller commits."""
    return store([*listing_changes(run), *unseen(run), *run_trouble(run)])


# What a message says of a listing, read beside each check.
_LISTING_COLUMNS = (Listing.id.label("listing_id"), Listing.canonical_url, Listing.product_id,
                    Product.code, Product.name, Product.producer_id,
                    Producer.name.label("producer"), Marketplace.name.label("marketplace"),
                    Marketplace.slug)


def listing_data(row, **more) -> dict:
    """The event's columns and `data` for a row of _LISTING_COLUMNS (and a check's)."""
    return {"producer_id": row.producer_id, "product_id": row.product_id,
            "listing_id": row.listing_id,
            "data": {"code": row.code, "product": row.name,
                     "producer_name": row.producer, "marketplace": row.marketplace,
                     "marketplace_slug": row.slug, "listing": row.canonical_url, **more}}


def listing_changes(run: CheckRun) -> list[dict]:
    """`listing_removed`, `listing_out_of_stock` and `listing_back` of the run's checks."""
    check = aliased(Check)
    earlier = aliased(Check)
    # Two checks of a listing never share a moment (a confirmation comes after its first
    # look), so the previous one is one step back along ix_checks_listing_at.
    before = (select(earlier.status_after)
              .where(earlier.listing_id == check.listing_id, earlier.at < check.at)
              .order_by(earlier.at.desc()).limit(1)
              .correlate(check).scalar_subquery())
    back_after_unseen = check.listing_id.in_(awaiting_back())
    rows = db.session.execute(
        select(check.id.label("check_id"), check.at, check.phase, check.verdict, check.rule,
               check.status_after, before.label("before"), back_after_unseen.label("unseen"),
               *_LISTING_COLUMNS)
        .join(Listing, Listing.id == check.listing_id).join(Product).join(Producer)
        .join(Marketplace)
        .where(check.run_id == run.id,
               check.status_after.in_(("removed", "out_of_stock", "active")),
               check.verdict == check.status_after,  # this check saw it so, not an earlier one
               or_(back_after_unseen, before.is_distinct_from(check.status_after))))
    events = []
    for row in rows:
        kind = change_kind(row.before, row.status_after, row.unseen)
        if kind is None:
            continue
        events.append({"kind": kind, "key": f"{kind}:{row.listing_id}:{row.check_id}",
                       "run_id": run.id,
                       **listing_data(row, verdict=row.verdict, rule=row.rule,
                                      status_before=row.before, status=row.status_after,
                                      phase=row.phase, checked_at=row.at.isoformat(),
                                      checked_on=local_date(row.at).isoformat())})
    return events


def change_kind(before: str | None, after: str, unseen: bool) -> str | None:
    """The event a check that moved a listing from `before` to `after` is worth, if any
    (`unseen`: a `listing_unseen` of the listing awaits its `listing_back`)."""
    if after == "removed" and before != "removed":
        return "listing_removed"
    if after == "out_of_stock" and before == "active":
        return "listing_out_of_stock"
    if after == "active" and (before in NOT_ON_SALE or unseen):
        return "listing_back"
    return None


def awaiting_back():
    """The listings whose latest `listing_unseen` is newer than their latest `listing_back`
    (one grouped pass over those two kinds, not a lookup per listing)."""
    last_unseen = func.max(case((Event.kind == "listing_unseen", Event.id)))
    last_back = func.coalesce(func.max(case((Event.kind == "listing_back", Event.id))), 0)
    return (select(Event.listing_id)
            .where(Event.kind.in_(("listing_unseen", "listing_back")),
                   Event.listing_id.is_not(None))
            .group_by(Event.listing_id).having(last_unseen > last_back))


def unseen(run: CheckRun) -> list[dict]:
    """`listing_unseen` of a monthly run: blocked or unreachable all this month so far and
    all last month (see the module's docstring)."""
    if run.scope not in MONTHLY_SCOPES:
        return []
    this_month = month_start(run.created_at)
    last_month = month_start(this_month - timedelta(microseconds=1))
    check = aliased(Check)

    def seen(start, end):
        """Some check of the listing in [start, end) saw it."""
        other = aliased(Check)
        return exists().where(other.listing_id == check.listing_id, other.at >= start,
                              other.at < end, other.verdict.not_in(UNSEEN))

    monthly = aliased(Check)
    unseen_last_month = (
        exists().where(monthly.listing_id == check.listing_id, monthly.at >= last_month,
                       monthly.at < this_month, monthly.verdict.in_(UNSEEN),
                       monthly.run_id == CheckRun.id, CheckRun.scope.in_(MONTHLY_SCOPES))
        .correlate(check))
    rows = db.session.execute(
        select(check.id.label("check_id"), check.at, check.verdict, check.rule,
               *_LISTING_COLUMNS)
        .join(Listing, Listing.id == check.listing_id).join(Product).join(Producer)
        .join(Marketplace)
        .where(check.run_id == run.id, check.phase == 1, check.verdict.in_(UNSEEN),
               check.status_after.is_distinct_from("removed"),  # told already, and gone
               ~seen(this_month, check.at), unseen_last_month,
               ~seen(last_month, this_month)))
    month = local_date(this_month).strftime("%Y-%m")
    previous = local_date(last_month).strftime("%Y-%m")
    return [{"kind": "listing_unseen", "key": f"listing_unseen:{row.listing_id}:{month}",
             "run_id": run.id,
             **listing_data(row, verdict=row.verdict, rule=row.rule, month=month,
                            previous_month=previous, checked_at=row.at.isoformat(),
                            checked_on=local_date(row.at).isoformat())}
            for row in rows]


def run_trouble(run: CheckRun) -> list[dict]:
    """`run_failed` and one `marketplace_degraded` per marketplace the run found degraded."""
    about = {"run": run.id, "scope": run.scope, "scope_label": run.scope_label,
             "origin": run.origin,
             "started_at": run.started_at.isoformat() if run.started_at else None,
             "finished_at": run.finished_at.isoformat() if run.finished_at else None}
    events = []
    if run.state == "failed":
        events.append({"kind": "run_failed", "key": f"run_failed:{run.id}", "run_id": run.id,
                       "data": {**about, "note": run.error}})
    names = dict(db.session.execute(select(Marketplace.slug, Marketplace.name)
                                    .where(Marketplace.slug.in_(run.degraded or []))).all())
    for slug in run.degraded or []:
        events.append({"kind": "marketplace_degraded",
                       "key": f"marketplace_degraded:{run.id}:{slug}", "run_id": run.id,
                       "data": {**about, "marketplace_slug": slug,
                                "marketplace": names.get(slug, slug),
                                "run_paused": run.paused}})  # skipped, all marketplaces
    return events


def record_month_closes() -> int:
    """`month_closed` for each closed month that has none yet; how many. The caller commits."""
    recorded = set(db.session.scalars(select(Event.key).where(Event.kind == "month_closed")))
    rows = []
    for closing in db.session.scalars(select(MonthClose).order_by(MonthClose.month)):
        key = f"month_closed:{closing.month:%Y-%m}"
        if key not in recorded:
            rows.append({"kind": "month_closed", "key": key,
                         "data": {"month": f"{closing.month:%Y-%m}",
                                  "as_of": closing.as_of.isoformat(),
                                  "closed_at": closing.closed_at.isoformat(),
                                  "runs": [run["id"] for run in closing.runs]}})
    return store(rows)


def find_due(now: datetime | None = None) -> int:
    """Record the events no run produces, as of `now` (`ocop notify send`, daily): certificates
    expiring, expired products still on sale, closed months; commits; how many were new."""
    today = local_date(now or utcnow())
    count = store([*certificates(today), *expired_on_sale(today)]) + record_month_closes()
    db.session.commit()
    return count


def product_data(product, today: date) -> dict:
    """What a message says of a product and its certificate."""
    return {"code": product.code, "product": product.name,
            "producer_name": product.producer, "decision_no": product.decision_no,
            "expires_on": product.expires_on.isoformat(),
            "days_left": (product.expires_on - today).days, "today": today.isoformat()}


def certificates(today: date) -> list[dict]:
    """`certificate_30` and `certificate_90` of the products whose certificate ends in their
    window (not withdrawn)."""
    events = []
    for kind, start, end in WARNINGS:
        products = db.session.execute(
            select(Product.id, Product.code, Product.name, Product.producer_id,
                   Producer.name.label("producer"), Product.decision_no, Product.expires_on)
            .join(Producer)
            .where(~Product.withdrawn,
                   Product.expires_on.between(today + timedelta(days=start),
                                              today + timedelta(days=end))))
        events.extend({"kind": kind, "key": f"{kind}:{p.id}:{p.expires_on.isoformat()}",
                       "producer_id": p.producer_id, "product_id": p.id,
                       "data": product_data(p, today)} for p in products)
    return events


def expired_on_sale(today: date) -> list[dict]:
    """`expired_on_sale` of each approved listing on sale whose product's certificate has
    expired (not withdrawn)."""
    rows = db.session.execute(
        select(*_LISTING_COLUMNS, Product.decision_no, Product.expires_on, Listing.verified_at)
        .select_from(Listing).join(Product).join(Producer).join(Marketplace)
        .where(Listing.approved, Listing.status == "active", ~Product.withdrawn,
               Product.expires_on < today))
    return [{"kind": "expired_on_sale",
             "key": f"expired_on_sale:{row.listing_id}:{row.expires_on.isoformat()}",
             **listing_data(row, decision_no=row.decision_no,
                            expires_on=row.expires_on.isoformat(),
                            verified_at=row.verified_at.isoformat() if row.verified_at else None,
                            today=today.isoformat())}
            for row in rows]


def proposal_decided(listing: Listing, kind: str) -> None:
    """Record an officer's decision (`proposal_approved` or `proposal_refused`, with the
    reason) on `listing`, a producer's proposal, in the caller's transaction."""
    refused = kind == "proposal_refused"
    decided_at = listing.refused_at if refused else utcnow()
    # A proposal is approved once; it may be refused again with a new reason before that.
    key = f"{kind}:{listing.id}" + (f":{decided_at.isoformat()}" if refused else "")
    store([{"kind": kind, "key": key, "producer_id": listing.product.producer_id,
            "product_id": listing.product_id, "listing_id": listing.id,
            "data": {"code": listing.product.code,
                     "product": listing.product.name,
                     "producer_name": listing.product.producer.name,
                     "marketplace": listing.marketplace.name,
                     "marketplace_slug": listing.marketplace.slug,
                     "listing": listing.canonical_url, "note": listing.refusal if refused else None,
                     "decided_at": decided_at.isoformat(),
                     "decided_on": local_date(decided_at).isoformat()}}])
