"""What the figures are made of: the filters, the cube of counted products, numerators over
denominators, breakdown rows and the headline.

A product **counts** when its certificate is valid on the day (certified, not expired, not
withdrawn); what makes a listing online is `online`'s rule. Share online = counted products
with an online listing ÷ counted products. Every figure is a numerator and a denominator;
percentages are computed from them. `sources` gives the cube of a moment, `assemble` the
headline, breakdowns and trend from it. The product group is `category`, as in the model.
"""

import math
from dataclasses import asdict, dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from ..extensions import db
from ..models import (
    CATEGORIES,
    METHODS,
    Marketplace,
    Producer,
    Product,
)

DIMENSIONS = {
    "category": _l("Nhóm sản phẩm"),
    "stars": _l("Hạng sao"),
    "commune": _l("Xã/Phường"),
    "producer_kind": _l("Loại chủ thể"),
    "marketplace": _l("Sàn"),
}


class BadFilter(ValueError):
    """A filter value the figures cannot honour; the message names the filter in the user's
    language."""


@dataclass
class Filters:
    """Which products and listings the figures cover; every value is checked, none ignored."""

    commune: str = ""
    category: int | None = None
    stars: int | None = None
    marketplace: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        """Read the filters from query arguments; raise BadFilter on a value that is not one.
        The group is `category`, as in the product list; links made before say `group`."""
        filters = cls(commune=args.get("commune", "").strip()[:100],
                      marketplace=args.get("marketplace", "").strip()[:40])
        for name, allowed in (("category", CATEGORIES), ("stars", (3, 4, 5))):
            raw = args.get(name, args.get("group", "") if name == "category" else "").strip()
            if raw:
                if not raw.isdigit() or int(raw) not in allowed:
                    raise BadFilter(_l("Giá trị “%(value)s” không dùng được cho bộ lọc "
                                       "%(name)s.", value=raw, name=DIMENSIONS[name]))
                setattr(filters, name, int(raw))
        if filters.marketplace and not db.session.scalar(
                select(Marketplace.id).where(Marketplace.slug == filters.marketplace)):
            raise BadFilter(_l("Không có sàn “%(slug)s”.", slug=filters.marketplace))
        if filters.commune and not db.session.scalar(
                select(Producer.id).where(Producer.commune == filters.commune).limit(1)):
            raise BadFilter(_l("Không có chủ thể nào ở xã/phường “%(name)s”.",
                               name=filters.commune))
        return filters

    def args(self, **changes) -> dict:
        """Query arguments for these filters with `changes`, leaving out the empty ones."""
        return {k: v for k, v in {**asdict(self), **changes}.items() if v not in ("", None)}

    def on(self, commune, category, stars) -> list:
        """The commune, group and star filters as conditions on these columns."""
        return [column == value for column, value in
                ((commune, self.commune), (category, self.category), (stars, self.stars))
                if value]


MACHINE = ("seller_api", "browser", "page")  # every method but a person's word
# How the headline says each method ("120 qua tài khoản sàn"): an attestation counts only
# once an officer made or confirmed it, so a person's word is an officer's.
VERIFIED = {
    "seller_api": _l("qua tài khoản sàn"),
    "browser": _l("qua trình duyệt"),
    "page": _l("qua trang"),
    "person": _l("do cán bộ xác nhận"),
}


@dataclass
class Figure:
    """A numerator over a denominator; the percentage is always computed from the two."""

    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.part / self.whole, 1) if self.whole else None


@dataclass
class Row:
    """One line of a breakdown."""

    key: str
    label: str
    counted: int
    online: Figure
    buyable: Figure
    args: dict = field(default_factory=dict)  # the product list's filters for this line
    methods: dict[str, int] = field(default_factory=dict)  # online products by method

    @property
    def unknown(self) -> int:
        """Online products whose method is not known (months closed before it was kept)."""
        return self.online.part - sum(self.methods.values())


@dataclass
class Headline:
    """The figures the province reports, with what they are made of."""

    on: date
    counted: int
    by_stars: dict[int, int]
    online: Figure
    buyable: Figure
    without_listing: int
    listings: int
    stale: int
    unchecked: int  # listings never checked: neither fresh nor stale, just unknown
    producers: Figure
    methods: dict[str, int]  # online products by the strongest method behind them

    @property
    def machine(self) -> Figure:
        """Counted products a machine saw online (by a seller's API, a browser or a page)."""
        return Figure(sum(self.methods[m] for m in MACHINE), self.counted)

    @property
    def unknown(self) -> int:
        """Online products whose method is not known (months closed before it was kept)."""
        return self.online.part - sum(self.methods.values())



def short_of(share: float, online: Figure) -> int:
    """How many more counted products need an online listing to reach `share` percent."""
    return max(0, math.ceil(share * online.whole / 100 - 1e-9) - online.part)


def counted(filters: Filters, today: date):
    """The condition for counted products under the filters (product and producer joined)."""
    return and_(~Product.withdrawn, Product.certified_on <= today, Product.expires_on >= today,
                *filters.on(Producer.commune, Product.category, Product.stars))


@dataclass
class Cell:
    """Counted products sharing one group, star rating, commune and producer kind."""

    category: int
    stars: int
    commune: str
    producer_kind: str
    counted: int
    online: int
    buyable: int
    methods: tuple[int, ...]  # online products by their strongest method, in METHODS order


def by_method(cells: list[Cell]) -> dict[str, int]:
    """Online products per method, summed over cells."""
    return {method: sum(c.methods[n] for c in cells) for n, method in enumerate(METHODS)}


# The product dimensions a cell is keyed by, over products joined to producers: one tuple,
# so GROUP BY repeats the very expressions selected (PostgreSQL compares them, binds included).
KEYS = (Product.category, Product.stars, func.coalesce(Producer.commune, ""), Producer.kind)


def tally(filters: Filters, today: date, rank, buyable, per_product=None) -> list[Cell]:
    """The cube's query, given per product the `rank` of the strongest method it is online by
    (online.RANK; NULL when offline) and the condition for one with a buyable listing, both
    perhaps read from `per_product` (a subquery keyed by product_id, outer-joined). Each
    counted product's flags are worked out once (a materialized CTE: SQLite would otherwise
    repeat the rank's lookups in every aggregate that reads it), then summed per cell."""
    products = select(*(key.label(f"k{n}") for n, key in enumerate(KEYS)), rank.label("rank"),
                      case((buyable, 1), else_=0).label("buyable")
                      ).select_from(Product).join(Producer)
    if per_product is not None:
        products = products.outerjoin(per_product, per_product.c.product_id == Product.id)
    flags = (products.where(counted(filters, today)).cte("flags").prefix_with("MATERIALIZED"))
    keys = [flags.c[f"k{n}"] for n in range(len(KEYS))]
    ranks = [func.count(case((flags.c.rank == n, 1))) for n in range(len(METHODS))]
    rows = db.session.execute(
        select(*keys, func.count(), func.count(flags.c.rank), func.sum(flags.c.buyable), *ranks)
        .group_by(*keys))
    return [Cell(*row[:7], tuple(row[7:])) for row in rows]
