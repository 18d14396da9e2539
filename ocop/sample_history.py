"""The demo's two years of monthly check runs, so the trend, what changed since last month and
the monthly report have something to show the moment the app starts.

Nothing here decides a status: a scripted sequence of observations (what each sample listing's
page said each month) goes through the very recording code a real run uses
(`checks.record.record`, removals confirmed by a second look in phase 2), and the months are then
closed as a real run closes them. SAMPLE DATA: the runs are marked origin "demo".
"""

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from scrapers.model import Result, Target

from .checks import runner
from .checks.record import record
from .dashboard import months
from .extensions import db
from .localtime import month_of, month_start, stored, zone
from .models import ONLINE, CheckRun, Listing, add_months, utcnow
from .sample_markets import SAMPLE, Shelf, market_of

MONTHS = 24  # closed months of history; run number MONTHS is this month's
ORIGIN = "demo"  # CheckRun.origin of the sample history's runs


def observed(shelf: Shelf, position: int, run: int) -> str:
    """The verdict the sample listing's page gave in run `run` (0 = two years ago)."""
    match shelf.kind:
        case "gone":  # taken down this month: removed, confirmed by the run's second look
            return "removed" if run >= MONTHS else "active"
        case "captcha":  # the marketplace put up a captcha wall eight months ago
            return "blocked" if run >= 16 else "active"
        case "walled":  # its item API never answers a bot, as Shopee's does not
            return "blocked"
        case "down":  # down since this month's run
            return "unreachable" if run >= MONTHS else "active"
        case "sold_out":
            return "out_of_stock" if run >= 20 else "active"
        case "slow" if run == 11:
            return "unreachable"  # once it answered too late
    return "out_of_stock" if (run + position) % 9 == 0 else "active"  # now and then sold out


def evidence(shelf: Shelf, url: str, verdict: str) -> dict:
    """Evidence shaped like the engine's for what the page said."""
    if verdict == "removed":
        rule, detail, status = "http-404", f"HTTP 404 at {url}", 404
    elif verdict == "blocked" and shelf.kind == "walled":
        rule, detail, status = "api-error", "API error 90309999; page: no product data", 200
    elif verdict == "blocked":
        rule, detail, status = "captcha", '"xác minh"', 200
    elif verdict == "unreachable":
        rule, detail, status = ("fetch-timeout", "read timed out", None) if shelf.kind == "slow" \
            else ("fetch-status", "HTTP 503 after 4 attempts", 503)
    elif shelf.kind == "scripted":  # no structured data: the rendered page's words decide
        rule, detail, status = (("phrase-in-stock", '"thêm vào giỏ hàng"', 200)
                                if verdict == "active" else
                                ("phrase-out-of-stock", '"hết hàng"', 200))
    else:
        stock = "InStock" if verdict == "active" else "OutOfStock"
        rule, detail, status = "jsonld-availability", f'availability "{stock}"', 200
    online = verdict in ONLINE
    structured = shelf.kind != "scripted"
    facts = {"adapter": market_of(shelf).adapter, "url": url, "final_url": url,
             "chain": [{"status": status, "url": url}] if status else [], "requests": [],
             "rule": rule, "detail": detail, "title": shelf.title if online else None,
             "price": shelf.price if online and structured else None,
             "availability": {"active": "InStock", "out_of_stock": "OutOfStock"}.get(verdict)
             if structured else None,
             "elapsed": 4.2 if shelf.kind == "slow" else 0.3,
             "attempts": 4 if verdict == "unreachable" else 1, "sample": SAMPLE}
    if shelf.kind == "scripted":
        facts["route"] = "browser"
    return facts


def run_moment(run: int, now: datetime) -> datetime:
    """When run `run` took place: the 3rd of its month at 02:00 in the province; this month's
    a little before now if the 3rd has not come yet."""
    month = add_months(month_of(now), run - MONTHS)
    moment = stored(datetime.combine(month.replace(day=3), time(2), zone()))
    if moment > now - timedelta(hours=2):
        moment = max(month_start(now) + timedelta(minutes=1), now - timedelta(hours=2))
    return moment


def write(listings: list[tuple[Listing, Shelf]]) -> None:
    """Record MONTHS + 1 monthly runs over `listings` (committed) and close the months."""
    now = utcnow()
    confirm = runner.confirm_after()
    for listing, shelf in listings:  # listed some days before the run that first saw it
        listing.created_at = run_moment(shelf.since, now) - timedelta(days=2)
    db.session.commit()
    for number in range(MONTHS + 1):
        at = run_moment(number, now)
        seen = [(listing, shelf) for listing, shelf in listings if shelf.since <= number]
        run = CheckRun(scope="all", origin=ORIGIN, scope_label=SAMPLE, state="running",
                       created_at=at, started_at=at, degraded=[], total=len(seen))
        db.session.add(run)
        db.session.commit()
        results = [result(listing, shelf, observed(shelf, position, number),
                          at + timedelta(seconds=position))
                   for position, (listing, shelf) in enumerate(seen)]
        record(run.id, results, phase=1, degraded=set(), confirm_after=confirm)
        again = at + confirm + timedelta(minutes=1)
        pending = set(db.session.scalars(select(Listing.id).where(
            Listing.id.in_([r.target.key for r in results]), Listing.removal_seen_at.is_not(None))))
        second = [result(listing, shelf, r.verdict, min(again, now))
                  for r, (listing, shelf) in zip(results, seen, strict=True)
                  if r.target.key in pending]
        if second:
            record(run.id, second, phase=2, degraded=set(), confirm_after=confirm)
        runner.mark_done(db.session.get(CheckRun, run.id), (second or results)[-1].checked_at)
        db.session.commit()
    months.close_due(now)


def result(listing: Listing, shelf: Shelf, verdict: str, at: datetime) -> Result:
    """One scripted observation as the engine would have returned it."""
    target = Target(key=listing.id, url=listing.canonical_url, adapter=listing.marketplace.adapter,
                    marketplace=listing.marketplace.slug, hosts=frozenset())
    return Result(target, verdict, evidence(shelf, listing.canonical_url, verdict), at)


def present() -> bool:
    """Whether the sample history is in the database."""
    return db.session.scalar(select(CheckRun.id).where(CheckRun.origin == ORIGIN).limit(1)) \
        is not None


def shown() -> bool:
    """Whether pages must say their figures are sample data; False when the database cannot
    say, since an error page has to render even then."""
    try:
        return present()
    except SQLAlchemyError:
        return False

