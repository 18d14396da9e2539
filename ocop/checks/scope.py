"""Which listings a run covers, streamed as engine targets without loading them all."""

from collections.abc import Iterator

from sqlalchemy import and_, exists, func, or_, select

from scrapers.model import Target

from ..extensions import db
from ..localtime import month_start
from ..models import Check, CheckRun, Listing, Marketplace, MarketplaceHost

PAGE = 500  # listings read per query: short reads, so a run never holds a cursor open


def in_scope(run: CheckRun):
    """The SQL condition for the listings `run` covers: approved ones on enabled marketplaces;
    a single listing is checked on request even as a proposal, to help decide on it."""
    if run.scope == "listing":
        return Listing.id == run.scope_id
    conditions = [Listing.approved, Marketplace.enabled]
    if run.scope == "due":
        # Due: no decisive result this month; a listing that was only blocked or unreachable
        # stays due, so tonight's second `ocop check` tries it again.
        cutoff = month_start(run.created_at)
        conditions.append(or_(Listing.verified_at.is_(None), Listing.verified_at < cutoff))
    elif run.scope == "marketplace":
        conditions.append(Listing.marketplace_id == run.scope_id)
    elif run.scope == "product":
        conditions.append(Listing.product_id == run.scope_id)
    return and_(*conditions)


def count(run: CheckRun) -> int:
    """How many listings `run` covers."""
    query = select(func.count()).select_from(Listing).join(Marketplace).where(in_scope(run))
    return db.session.scalar(query)


def unchecked(run_id: int, phase: int = 1):
    """Listings without a check of `phase` in the run: what a resumed run still has to do."""
    return ~exists().where(Check.run_id == run_id, Check.listing_id == Listing.id,
                           Check.phase == phase)


def hosts_by_marketplace() -> dict[int, frozenset[str]]:
    """Every marketplace's hosts, read once per run."""
    hosts: dict[int, set[str]] = {}
    for marketplace_id, host in db.session.execute(
            select(MarketplaceHost.marketplace_id, MarketplaceHost.host)):
        hosts.setdefault(marketplace_id, set()).add(host)
    return {key: frozenset(value) for key, value in hosts.items()}


def rows(columns: tuple, condition) -> Iterator:
    """Rows of `columns` (the listing id first) for the listings matching `condition`, in id
    order, a page at a time.

    Each page is read on its own short-lived connection of the engine captured here: the
    scrapers pull targets from their own thread (no app context), and the recording thread
    commits in between.
    """
    engine = db.engine

    def pages() -> Iterator:
        last = 0
        while True:
            query = (select(Listing.id, *columns).join(Marketplace)
                     .where(condition, Listing.id > last).order_by(Listing.id).limit(PAGE))
            with engine.connect() as connection:
                page = connection.execute(query).all()
            yield from page
            if len(page) < PAGE:
                return
            last = page[-1][0]

    return pages()


def targets(condition, hosts: dict[int, frozenset[str]],
            fetch: str | None = None) -> Iterator[Target]:
    """Engine targets for the listings matching `condition`, in id order, each read the way its
    marketplace says unless the run's `fetch` says otherwise."""
    columns = (Listing.canonical_url, Listing.item_id, Listing.marketplace_id,
               Marketplace.adapter, Marketplace.slug, Marketplace.fetch)
    return (Target(key=listing_id, url=url, adapter=adapter, marketplace=slug,
                   hosts=hosts.get(marketplace_id, frozenset()), item_id=item_id,
                   fetch=fetch or marketplace_fetch)
            for listing_id, url, item_id, marketplace_id, adapter, slug, marketplace_fetch
            in rows(columns, condition))


def listing_ids(condition) -> Iterator[int]:
    """The ids of the listings matching `condition`, in order."""
    return (row[0] for row in rows((), condition))
