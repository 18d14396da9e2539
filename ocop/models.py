"""The registry's tables, in SQLAlchemy 2.0 typed style."""

from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    false,
    or_,
    text,
    true,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from scrapers.model import FETCH_METHODS

from .extensions import db
from .numbers import percent
from .text import fold


def utcnow() -> datetime:
    """Timestamps are stored in UTC and shown in Vietnam time."""
    return datetime.now(UTC).replace(tzinfo=None)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


CERTIFICATE_MONTHS = 36

PRODUCER_KINDS = {
    "htx": _l("Hợp tác xã"),
    "doanh_nghiep": _l("Doanh nghiệp"),
    "ho_kinh_doanh": _l("Hộ kinh doanh"),
    "to_hop_tac": _l("Tổ hợp tác"),
}
# The six groups of Decision 148/QĐ-TTg (2023).
CATEGORIES = {
    1: _l("Thực phẩm"),
    2: _l("Đồ uống"),
    3: _l("Dược liệu và sản phẩm từ dược liệu"),
    4: _l("Hàng thủ công mỹ nghệ"),
    5: _l("Sinh vật cảnh"),
    6: _l("Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch"),
}
PRODUCT_STATUSES = {
    "certified": _l("Còn hiệu lực"),
    "expired": _l("Hết hạn"),
    "withdrawn": _l("Đã thu hồi"),
}
ROLES = {"admin": _l("Quản trị"), "officer": _l("Cán bộ"), "producer": _l("Chủ thể")}
LISTING_STATUSES = {
    "active": _l("Đang bán"),
    "out_of_stock": _l("Hết hàng"),
    "removed": _l("Đã gỡ"),
    "unlisted": _l("Ẩn khỏi sàn"),  # the seller hid it: offline, but not removed
    "blocked": _l("Bị chặn"),
    "unreachable": _l("Không truy cập được"),
    "unknown": _l("Chưa xác định"),
}
# The statuses of a listing on a marketplace, and of one a shopper can buy now: the figures'
# rule for "online" (dashboard/online.py) and the checks' rules both read these.
ONLINE = ("active", "out_of_stock")
BUYABLE = ("active",)
# How a listing's state is known, strongest first: the marketplace's own API asked with the
# seller's authorization, a browser running the page, the page over HTTP, a person who looked.
METHODS = {
    "seller_api": _l("Qua tài khoản sàn"),
    "browser": _l("Qua trình duyệt"),
    "page": _l("Qua trang"),
    "person": _l("Do người xác nhận"),
}
# How a marketplace's listings are read (the engine's FETCH_METHODS), as officers see them.
FETCH_LABELS = {
    "http": _l("HTTP"),
    "browser": _l("Trình duyệt"),
    "auto": _l("Tự động (HTTP trước, trình duyệt khi cần)"),
}
assert tuple(FETCH_LABELS) == FETCH_METHODS, "a fetch method without a label, or the reverse"


class Versioned:
    """A version counter: an edit made from a stale copy is refused, never silently applied."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


class Producer(Versioned, db.Model):
    """A chủ thể OCOP: cooperative, enterprise, household business or cooperative group."""

    __tablename__ = "producers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    tax_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    representative: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(255))
    province: Mapped[str] = mapped_column(String(100))
    commune: Mapped[str | None] = mapped_column(String(100), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")

    products: Mapped[list["Product"]] = relationship(back_populates="producer")

    __table_args__ = (CheckConstraint(f"kind IN {tuple(PRODUCER_KINDS)}", name="kind"),)

    def refresh_search_text(self) -> None:
        """Keep the folded copy that searches read in step with the visible fields."""
        self.search_text = fold(f"{self.name} {self.tax_code or ''}")

    def __str__(self) -> str:
        return self.name


class Product(Versioned, db.Model):
    """An OCOP-certified product, identified by the province's own registry code."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    category: Mapped[int] = mapped_column(Integer, index=True)
    subgroup: Mapped[str | None] = mapped_column(String(255))
    stars: Mapped[int] = mapped_column(Integer, index=True)
    decision_no: Mapped[str | None] = mapped_column(String(100))
    certified_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    withdrawn: Mapped[bool] = mapped_column(default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")

    producer: Mapped[Producer] = relationship(back_populates="products")
    listings: Mapped[list["Listing"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Listing.id"
    )

    __table_args__ = (
        CheckConstraint("stars BETWEEN 3 AND 5", name="stars"),
        CheckConstraint("category BETWEEN 1 AND 6", name="category"),
        CheckConstraint("expires_on > certified_on", name="expiry_after_certification"),
    )

    @hybrid_property
    def status(self) -> str:
        """Certified, expired or withdrawn: derived from the dates, never typed in."""
        if self.withdrawn:
            return "withdrawn"
        return "expired" if self.expires_on < date.today() else "certified"

    @status.inplace.expression
    @classmethod
    def _status_expression(cls):
        return case(
            (cls.withdrawn, "withdrawn"),
            (cls.expires_on < date.today(), "expired"),
            else_="certified",
        )

    def refresh_search_text(self) -> None:
        """Keep the folded copy that searches read in step with the visible fields."""
        self.search_text = fold(f"{self.code} {self.name}")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Marketplace(Versioned, db.Model):
    """An e-commerce marketplace; which hosts it serves is data, so tests can add their own."""

    __tablename__ = "marketplaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    adapter: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(default=True)
    concurrency: Mapped[int] = mapped_column(Integer, default=2)
    min_interval: Mapped[float] = mapped_column(default=2.0)  # seconds between two requests
    # http, browser, or auto (HTTP first, the browser only when HTTP could not see the listing).
    fetch: Mapped[str] = mapped_column(String(10), default="http", server_default="http")

    hosts: Mapped[list["MarketplaceHost"]] = relationship(
        back_populates="marketplace", cascade="all, delete-orphan", order_by="MarketplaceHost.host"
    )

    __table_args__ = (
        CheckConstraint("concurrency BETWEEN 1 AND 64", name="concurrency"),
        CheckConstraint("min_interval >= 0", name="min_interval"),
        # FETCH is a reserved word in PostgreSQL: hand-written SQL quotes the column.
        CheckConstraint(f'"fetch" IN {FETCH_METHODS}', name="fetch"),
    )

    @property
    def host_names(self) -> list[str]:
        """The hosts as plain strings, for forms and the audit trail."""
        return [h.host for h in self.hosts]

    def __str__(self) -> str:
        return self.name


class MarketplaceHost(db.Model):
    """One host name (with a port when not the default) that belongs to one marketplace."""

    __tablename__ = "marketplace_hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace_id: Mapped[int] = mapped_column(
        ForeignKey("marketplaces.id", ondelete="CASCADE"), index=True
    )
    host: Mapped[str] = mapped_column(String(255), unique=True)

    marketplace: Mapped[Marketplace] = relationship(back_populates="hosts")

    def __str__(self) -> str:
        return self.host


def stale_rule(checked_at, verified_at, created_at, cutoff: datetime):
    """Listing.stale_before as SQL over any columns holding those times (today's listing, or
    its state at a month's end)."""
    return and_(checked_at.is_not(None),
                or_(verified_at < cutoff, and_(verified_at.is_(None), created_at < cutoff)))


class Listing(Versioned, db.Model):
    """A marketplace page that sells a product; the verification engine fills its status."""

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    marketplace_id: Mapped[int] = mapped_column(ForeignKey("marketplaces.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text)
    item_id: Mapped[str] = mapped_column(String(500))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A producer's proposal waits for an officer; officers' own listings are approved at once.
    approved: Mapped[bool] = mapped_column(default=True)
    # An officer's refusal of a proposal, with the reason the producer is shown; the proposal
    # stays (unapproved) so the producer sees why, until they withdraw it.
    refusal: Mapped[str | None] = mapped_column(Text)
    refused_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The last decisive status (active, out of stock, confirmed removed); blocked, unreachable
    # and unknown checks never overwrite it: they only show in `last_verdict`.
    status: Mapped[str | None] = mapped_column(String(20), index=True)
    last_verdict: Mapped[str | None] = mapped_column(String(20))
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)  # last decisive
    last_online_at: Mapped[datetime | None] = mapped_column(DateTime)
    # First not-found observation, waiting for a second one before `removed` is applied.
    removal_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    evidence: Mapped[dict | None] = mapped_column(JSON)
    method: Mapped[str | None] = mapped_column(String(12))  # how `status` was known

    product: Mapped[Product] = relationship(back_populates="listings")
    marketplace: Mapped[Marketplace] = relationship()
    added_by: Mapped["User | None"] = relationship()

    __table_args__ = (
        UniqueConstraint("marketplace_id", "item_id"),
        CheckConstraint(f"status IN {tuple(LISTING_STATUSES)}", name="status"),
        CheckConstraint(f"method IN {tuple(METHODS)}", name="method"),
        # Covers "online listings" (status, verified in the window) without reading the rows:
        # the dashboard's figures ask for that set several times a page.
        Index("ix_listings_online", "status", "verified_at", "approved", "product_id",
              "marketplace_id"),
        # ...and those known by one method (the strong ones are few beside the pages).
        Index("ix_listings_method", "method", "status", "verified_at", "approved",
              "product_id", "marketplace_id"),
    )

    @hybrid_property
    def waiting(self) -> bool:
        """A proposal no officer has approved or refused yet."""
        return not self.approved and self.refused_at is None

    @waiting.inplace.expression
    @classmethod
    def _waiting_expression(cls):
        return and_(~cls.approved, cls.refused_at.is_(None))

    @hybrid_method
    def stale_before(self, cutoff: datetime) -> bool:
        """Checked, but not verified decisively since `cutoff` (counted from when it was
        added, if it never was); a listing never checked is just unchecked."""
        if self.last_checked_at is None:
            return False
        return (self.verified_at or self.created_at or cutoff) < cutoff

    @stale_before.inplace.expression
    @classmethod
    def _stale_before_expression(cls, cutoff: datetime):
        return stale_rule(cls.last_checked_at, cls.verified_at, cls.created_at, cutoff)

    def stale(self, freshness_days: int, now: datetime | None = None) -> bool:
        """Not verified within the freshness window (see stale_before)."""
        return self.stale_before((now or utcnow()) - timedelta(days=freshness_days))

    def __str__(self) -> str:
        return self.canonical_url


class Target(Versioned, db.Model):
    """The province's goal for the share of OCOP products online; one row, set by an admin."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    share: Mapped[float] = mapped_column()  # percent of counted products online
    due_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)  # e.g. the plan or decision that set it

    __table_args__ = (CheckConstraint("share > 0 AND share <= 100", name="share"),)

    def __str__(self) -> str:
        return percent(self.share)


RUN_SCOPES = {
    "due": _l("Gian hàng đến hạn kiểm tra"),
    "all": _l("Tất cả gian hàng"),
    "marketplace": _l("Một sàn"),
    "product": _l("Một sản phẩm"),
    "listing": _l("Một gian hàng"),
}
RUN_STATES = {
    "queued": _l("Đang chờ"),
    "running": _l("Đang kiểm tra"),
    "confirming": _l("Đang xác nhận gian hàng bị gỡ"),
    "done": _l("Hoàn tất"),
    "failed": _l("Lỗi"),
}


class CheckRun(db.Model):
    """One pass of the verification engine over a scope of listings, and how it went."""

    __tablename__ = "check_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(String(40))  # "web", "cli", "schedule"
    scope: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[int | None] = mapped_column(Integer)
    scope_label: Mapped[str | None] = mapped_column(String(500))  # as it was when started
    state: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[int] = mapped_column(Integer, default=0)  # skipped: marketplace degraded
    degraded: Mapped[list] = mapped_column(JSON, default=list)  # marketplace slugs
    summary: Mapped[dict | None] = mapped_column(JSON)  # counts per verdict, when finished
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # How every listing of the run is read, whatever its marketplace says (an officer's
    # "check again in the browser"); None: each marketplace's own method.
    fetch: Mapped[str | None] = mapped_column(String(10))

    started_by: Mapped["User | None"] = relationship()

    __table_args__ = (
        CheckConstraint(f"scope IN {tuple(RUN_SCOPES)}", name="scope"),
        CheckConstraint(f"state IN {tuple(RUN_STATES)}", name="state"),
        CheckConstraint(f'"fetch" IS NULL OR "fetch" IN {FETCH_METHODS}', name="fetch"),
    )

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def __str__(self) -> str:
        return f"#{self.id}"


class Check(db.Model):
    """One observation of one listing: the engine's verdict, its evidence, and the status the
    listing had after it was applied (so history can be replayed as of any date)."""

    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("check_runs.id", ondelete="SET NULL"))
    # 1: the run's pass over its scope; 2: the re-check that confirms a removal.
    phase: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[datetime] = mapped_column(DateTime)
    verdict: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str | None] = mapped_column(String(60))
    status_after: Mapped[str | None] = mapped_column(String(20))
    evidence: Mapped[dict] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(12), default="page", server_default="page")

    listing: Mapped[Listing] = relationship()
    run: Mapped[CheckRun | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"verdict IN {tuple(LISTING_STATUSES)}", name="verdict"),
        CheckConstraint(f"method IN {tuple(METHODS)}", name="method"),
        CheckConstraint("phase IN (1, 2)", name="phase"),
        UniqueConstraint("run_id", "listing_id", "phase"),
        Index("ix_checks_listing_at", "listing_id", "at"),
        Index("ix_checks_run_verdict", "run_id", "verdict"),
    )


class Screenshot(db.Model):
    """The listing as the browser route rendered it for one check: a JPEG a person can look at
    beside the rule that decided. Kept for checks that changed the listing's status and for the
    listing's latest; the others are pruned after `OCOP_SCREENSHOT_RETENTION_DAYS`
    (`prune_screenshots`). In the database, so every worker on any machine can store one."""

    __tablename__ = "screenshots"

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"),
                                          primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime)
    changed: Mapped[bool] = mapped_column(default=False)  # its check changed the status
    media_type: Mapped[str] = mapped_column(String(40), default="image/jpeg")
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_screenshots_listing_at", "listing_id", "at"),)


class Attestation(db.Model):
    """A person's word that they saw a listing on sale on a day, with their screenshot: for
    listings no machine can see. An officer's counts from when it is made, a producer's from
    when an officer confirms it; it counts as online until `counts_until` (the end of the
    month it was made in, Vietnam time) unless withdrawn, and never against a removal a
    machine confirmed after it was made."""

    __tablename__ = "attestations"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True)
    seen_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(40), default="image/jpeg")
    # Re-encoded, metadata stripped; loaded only when served, never with a list of them.
    image: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(255))  # the person, as they were named then
    counts_until: Mapped[datetime] = mapped_column(DateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # Why it was withdrawn: an officer's refusal of a producer's, which the producer reads.
    withdrawal: Mapped[str | None] = mapped_column(Text)

    listing: Mapped[Listing] = relationship()

    __table_args__ = (
        CheckConstraint("counts_until > created_at", name="counts_until"),
        Index("ix_attestations_counting", "confirmed_at", "counts_until", "listing_id"),
        # counts_until names the month it was made in: one live attestation a listing a month.
        Index("uq_attestations_live", "listing_id", "counts_until", unique=True,
              sqlite_where=text("withdrawn_at IS NULL"),
              postgresql_where=text("withdrawn_at IS NULL")),
    )

    def __str__(self) -> str:
        return f"{self.listing.canonical_url} · {self.seen_on.isoformat()}"


SHOP_STATES = {
    "connected": _l("Đã kết nối"),
    "lapsing": _l("Sắp hết hạn"),
    "expired": _l("Hết hạn, cần kết nối lại"),
    "revoked": _l("Bị thu hồi, cần kết nối lại"),
    "disconnected": _l("Đã ngắt kết nối"),
}
LIVE_SHOP_STATES = ("connected", "lapsing")  # the marketplace's API may be asked


class ShopConnection(db.Model):
    """A producer's shop on a marketplace, connected through the marketplace's open platform:
    its listings are checked by asking the marketplace's API with the seller's authorization.
    The tokens are sealed (ocop.shops.vault) and never shown, exported or audited."""

    __tablename__ = "shop_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    marketplace_id: Mapped[int] = mapped_column(ForeignKey("marketplaces.id"))
    shop_id: Mapped[str] = mapped_column(String(64))  # the marketplace's own id of the shop
    shop_name: Mapped[str] = mapped_column(String(255), default="")
    access_token_sealed: Mapped[str | None] = mapped_column(Text)
    refresh_token_sealed: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. TikTok's shop_cipher
    access_expires: Mapped[datetime | None] = mapped_column(DateTime)
    refresh_expires: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(20), default="connected")
    last_error: Mapped[str | None] = mapped_column(Text)  # why the API could not be used
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(255), default="")  # as named then

    producer: Mapped[Producer] = relationship()
    marketplace: Mapped[Marketplace] = relationship()

    __table_args__ = (
        UniqueConstraint("marketplace_id", "shop_id"),  # one producer per shop
        CheckConstraint(f"state IN {tuple(SHOP_STATES)}", name="state"),
    )

    def standing(self, now: datetime, lapse: timedelta) -> str:
        """The state as of `now`: an authorization past its end is expired, one ending within
        `lapse` is lapsing, whatever the last refresh wrote."""
        if self.state in ("revoked", "disconnected"):
            return self.state
        if self.refresh_expires is not None and self.refresh_expires <= now:
            return "expired"
        if self.refresh_expires is not None and self.refresh_expires - now <= lapse:
            return "lapsing"
        return "connected" if self.state in LIVE_SHOP_STATES else self.state

    def __str__(self) -> str:
        return f"{self.shop_name or self.shop_id} ({self.shop_id})"


class ShopNonce(db.Model):
    """The single-use proof that a callback from a marketplace answers a connection this app
    started (Shopee's authorization carries no `state`): signed into the redirect address,
    burnt when the seller comes back."""

    __tablename__ = "shop_nonces"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id", ondelete="CASCADE"))
    marketplace_id: Mapped[int] = mapped_column(
        ForeignKey("marketplaces.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class MonthClose(db.Model):
    """A month whose end has passed, with the figures of that moment frozen beside it: the
    trend, "what changed since last month" and the monthly report read these, never the raw
    history again, and a listing deleted later does not change a closed month."""

    __tablename__ = "month_closes"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    as_of: Mapped[datetime] = mapped_column(DateTime)  # its last moment in the province
    closed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    freshness_days: Mapped[int] = mapped_column(Integer)
    # The runs whose checks fell in the freshness window before `as_of`: [{"id", "checks"}].
    runs: Mapped[list] = mapped_column(JSON, default=list)


class ListingMonth(db.Model):
    """One listing as it stood at a closed month's end (no foreign keys: frozen facts)."""

    __tablename__ = "listing_months"

    month: Mapped[date] = mapped_column(
        ForeignKey("month_closes.month", ondelete="CASCADE"), primary_key=True)
    listing_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer)
    marketplace_id: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    approved: Mapped[bool] = mapped_column()
    status: Mapped[str | None] = mapped_column(String(20))  # the last decisive status then
    verdict: Mapped[str | None] = mapped_column(String(20))  # the last check's verdict then
    checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    online: Mapped[bool] = mapped_column()
    buyable: Mapped[bool] = mapped_column()
    stale: Mapped[bool] = mapped_column()
    # How it was known to be online (METHODS); NULL when offline, or online in a month closed
    # before methods were kept whose deciding check is gone with its listing.
    method: Mapped[str | None] = mapped_column(String(12))

    __table_args__ = (
        Index("ix_listing_months_online", "month", "online", "approved", "product_id",
              "marketplace_id"),
        Index("ix_listing_months_product", "month", "product_id"),
    )


class ShareCell(db.Model):
    """Counted, online and buyable products of a closed month for one combination of group,
    stars, commune and producer kind, on one marketplace (0: on any). The trend sums these."""

    __tablename__ = "share_cells"

    month: Mapped[date] = mapped_column(
        ForeignKey("month_closes.month", ondelete="CASCADE"), primary_key=True)
    category: Mapped[int] = mapped_column(Integer, primary_key=True)
    stars: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune: Mapped[str] = mapped_column(String(100), primary_key=True)  # "" when none
    producer_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    marketplace_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counted: Mapped[int] = mapped_column(Integer)  # 0 on a marketplace's own cells
    online: Mapped[int] = mapped_column(Integer)
    buyable: Mapped[int] = mapped_column(Integer)
    # The online products by the strongest method behind them (METHODS); they add up to
    # `online` except in months closed before methods were kept, where some may be unknown.
    seller_api: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    browser: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    page: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    person: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # The trend reads one or two marketplaces' cells of 24 months: from this index alone.
    __table_args__ = (Index("ix_share_cells_trend", "marketplace_id", "month", "category",
                            "stars", "commune", "counted", "online", "buyable"),)


class User(UserMixin, Versioned, db.Model):
    """Someone who signs in: an administrator, a trade officer or a producer."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producers.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session this account has open (sign-out, new password, locked).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set by a reset or a sign-in with a password the policy no longer accepts.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The language messages are written in (None: the app's default, Vietnamese).
    language: Mapped[str | None] = mapped_column(String(5))
    # Whether notifications go to `email` (a webhook, when set, gets them besides).
    notify_email: Mapped[bool] = mapped_column(default=True, server_default=true())

    producer: Mapped[Producer | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"role IN {tuple(ROLES)}", name="role"),
        CheckConstraint("role <> 'producer' OR producer_id IS NOT NULL", name="producer_link"),
    )

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses a deactivated account."""
        return self.active

    def get_id(self) -> str:
        """What the session cookie names: the account and its session epoch, so a cookie
        copied before the epoch moved names no one (see ocop.auth.sessions)."""
        return f"{self.id}.{self.session_epoch}"

    def set_password(self, password: str) -> None:
        """Store only a salted hash."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def can(self, role: str) -> bool:
        """Whether this user holds `role` or a higher one (admin > officer > producer)."""
        order = ("producer", "officer", "admin")
        return order.index(self.role) >= order.index(role)

    def __str__(self) -> str:
        return self.email


# What a notification can be about (ocop.notify.events records them), as users' pages name them.
EVENT_KINDS = {
    "listing_removed": _l("Gian hàng bị gỡ khỏi sàn (đã xác nhận)"),
    "listing_out_of_stock": _l("Gian hàng hết hàng"),
    "listing_unseen": _l("Gian hàng bị chặn hoặc không truy cập được hai kỳ kiểm tra liền"),
    "listing_back": _l("Gian hàng bán trở lại"),
    "certificate_90": _l("Chứng nhận OCOP hết hạn trong 90 ngày"),
    "certificate_30": _l("Chứng nhận OCOP hết hạn trong 30 ngày"),
    "expired_on_sale": _l("Sản phẩm hết hạn chứng nhận vẫn đang bán"),
    "proposal_approved": _l("Đề xuất gian hàng được duyệt"),
    "proposal_refused": _l("Đề xuất gian hàng bị từ chối"),
    "month_closed": _l("Số liệu tháng đã chốt"),
    "run_failed": _l("Lượt kiểm tra bị lỗi"),
    "marketplace_degraded": _l("Sàn gặp trục trặc trong lượt kiểm tra"),
}
# How often a user hears about a kind of event.
FREQUENCIES = {
    "instant": _l("Ngay khi có"),
    "daily": _l("Gộp hằng ngày"),
    "monthly": _l("Gộp hằng tháng"),
    "never": _l("Không nhận"),
}
# Where a message goes; a channel is a module of ocop.notify.channels.
CHANNELS = {"email": _l("Thư điện tử"), "webhook": _l("Webhook")}
# A delivery is queued, being sent (claimed by a sender: a crash leaves it so, and it is tried
# again), sent, or failed after its last try.
DELIVERY_STATES = ("queued", "sending", "sent", "failed")


class Event(db.Model):
    """Something worth telling, recorded once: `key` names it (its kind, what it is about, and
    the run, check or date that found it), so a rerun or a retry that finds it again adds
    nothing. `data` keeps what a message says of it as it was then (names, address, dates)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # Whose it is: a producer hears only about their own (None: the province's, e.g. a run).
    producer_id: Mapped[int | None] = mapped_column(
        ForeignKey("producers.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("check_runs.id", ondelete="SET NULL"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (
        CheckConstraint(f"kind IN {tuple(EVENT_KINDS)}", name="kind"),
        Index("ix_events_producer_at", "producer_id", "at"),
    )


class NotificationPreference(db.Model):
    """How often one user hears about one kind of event; without a row, their role's default
    (ocop.notify.audience)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(10))

    __table_args__ = (
        CheckConstraint(f"kind IN {tuple(EVENT_KINDS)}", name="kind"),
        CheckConstraint(f"frequency IN {tuple(FREQUENCIES)}", name="frequency"),
    )


class Webhook(db.Model):
    """An address that a user's notifications (scope `user`) or every notification of the
    province (scope `province`, one, set by an administrator) are also POSTed to as JSON
    signed with HMAC-SHA256 of the secret (sealed as shop tokens are, ocop.shops.vault)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10), default="user")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("(scope = 'province' AND user_id IS NULL) OR "
                        "(scope = 'user' AND user_id IS NOT NULL)", name="scope"),
        Index("uq_webhooks_province", "scope", unique=True,
              sqlite_where=text("scope = 'province'"),
              postgresql_where=text("scope = 'province'")),
    )

    def __str__(self) -> str:
        return self.url


class Delivery(db.Model):
    """One message to one recipient over one channel, in the outbox: composed when queued,
    sent by ocop.notify.outbox. `key` is its idempotency key (what, to whom, how), so queuing
    it again adds nothing; `message_id` is fixed when queued, so a resend after a crash
    carries the same Message-ID (a webhook: the same delivery id)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(2000))  # the mailbox or URL when queued
    subject: Mapped[str] = mapped_column(String(300))
    # What is sent: {"text", "html", "language", "reason", "unsubscribe"} for email, the JSON
    # payload for a webhook.
    body: Mapped[dict] = mapped_column(JSON)
    event_ids: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # not tried before
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped["User | None"] = relationship()

    __table_args__ = (
        CheckConstraint(f"channel IN {tuple(CHANNELS)}", name="channel"),
        CheckConstraint(f"state IN {DELIVERY_STATES}", name="state"),
        Index("ix_outbox_due", "state", "next_at"),
    )


class ApiToken(db.Model):
    """A key to the JSON API: shown once when made, kept only as its SHA-256 hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        """Whether the token still opens the API."""
        return self.revoked_at is None

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class AuditEntry(db.Model):
    """One create, update or delete of a record: who, when, and the values before and after."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(10))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(500))
    changes: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_entries_entity", "entity", "entity_id"),)


SIGN_IN_OUTCOMES = {
    "success": _l("Thành công"),
    "failed": _l("Sai thư điện tử hoặc mật khẩu"),
    "inactive": _l("Tài khoản đã khoá"),
    "throttled": _l("Bị chặn tạm thời vì thử quá nhiều"),
}


class SignIn(db.Model):
    """One attempt to sign in: when, from where, for which address typed, and how it ended
    (never the password)."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(20))

    user: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint(f"outcome IN {tuple(SIGN_IN_OUTCOMES)}", name="outcome"),)
