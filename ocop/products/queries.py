"""The product list: search, filters and sorting that all live in the URL."""

from dataclasses import asdict, dataclass

from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import (
    CATEGORIES,
    ONLINE,
    PRODUCT_STATUSES,
    Listing,
    Marketplace,
    Producer,
    Product,
    User,
)
from ..search import product_search

SORTS = {
    "code": Product.code,
    "name": Product.name,
    "producer": Producer.name,
    "stars": Product.stars,
    "certified": Product.certified_on,
    "expires": Product.expires_on,
}


@dataclass
class ProductFilters:
    """What the officer asked the list for; anything unrecognised is dropped, not obeyed."""

    q: str = ""
    category: int | None = None
    stars: int | None = None
    commune: str = ""
    status: str = ""
    marketplace: str = ""
    no_listing: bool = False
    sort: str = "code"
    desc: bool = False

    @classmethod
    def from_args(cls, args) -> "ProductFilters":
        """Read the filters from query arguments."""
        category = args.get("category", type=int)
        stars = args.get("stars", type=int)
        sort = args.get("sort", "code")
        status = args.get("status", "")
        return cls(
            q=args.get("q", "").strip()[:200],
            category=category if category in CATEGORIES else None,
            stars=stars if stars in (3, 4, 5) else None,
            commune=args.get("commune", "").strip()[:100],
            status=status if status in PRODUCT_STATUSES else "",
            marketplace=args.get("marketplace", "").strip()[:40],
            no_listing=args.get("no_listing") in ("1", "on", "true"),
            sort=sort if sort in SORTS else "code",
            desc=args.get("desc") in ("1", "true"),
        )

    def args(self, **changes) -> dict:
        """Query arguments for this list with `changes`, leaving out the defaults."""
        values = {**asdict(self), **changes}
        defaults = asdict(ProductFilters())
        return {k: (1 if v is True else v) for k, v in values.items() if v != defaults[k]}


def visible_products(user: User) -> Select:
    """The products `user` may see: all of them, or a producer's own."""
    query = select(Product).join(Product.producer).options(contains_eager(Product.producer))
    if user.role == "producer":
        query = query.where(Product.producer_id == user.producer_id)
    return query


def product_list(filters: ProductFilters, user: User) -> Select:
    """The filtered, sorted product query; only an officer's search reads tax codes."""
    private = user.role in ("officer", "admin")
    query = visible_products(user).where(*product_search(filters.q, private))
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.stars:
        query = query.where(Product.stars == filters.stars)
    if filters.commune:
        query = query.where(Producer.commune == filters.commune)
    if filters.status:
        query = query.where(Product.status == filters.status)
    if filters.marketplace:
        # Uncorrelated, so it runs once: a correlated EXISTS let SQLite walk the marketplace's
        # whole listing index for every product (minutes at 100,000 listings).
        query = query.where(Product.id.in_(
            select(Listing.product_id).join(Listing.marketplace)
            .where(Marketplace.slug == filters.marketplace)))
    if filters.no_listing:
        query = query.where(~exists().where(Listing.product_id == Product.id))
    column = SORTS[filters.sort]
    return query.order_by(column.desc() if filters.desc else column.asc(), Product.id)


def listing_counts(product_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per product: how many listings, and how many of them were last seen online."""
    online = func.count(case((Listing.status.in_(ONLINE), 1)))
    rows = db.session.execute(
        select(Listing.product_id, func.count(), online)
        .where(Listing.product_id.in_(product_ids)).group_by(Listing.product_id))
    return {pid: (total, up) for pid, total, up in rows}


def communes() -> list[str]:
    """Communes that have producers, for the filter's choices."""
    return list(db.session.scalars(
        select(Producer.commune).where(Producer.commune.is_not(None), Producer.commune != "")
        .distinct().order_by(Producer.commune)))
