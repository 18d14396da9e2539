"""Turn a URL someone typed into a marketplace, a canonical URL and an item id, or a reason.

A share link (the short link of a marketplace's "Chia sẻ" button, `s.shopee.vn/…`) is followed
through the guarded fetcher (`scrapers.share`) to the listing it stands for, which is what gets
stored (`canonical_url`, `item_id`; `url` keeps the link as entered). A share link the registry
already holds as a listing's entered URL is taken from there, without a request: an exported
workbook imported again costs no network. Nothing is ever guessed: a link that cannot be
followed to a listing of a registered marketplace is refused with the reason.
"""

from collections.abc import Callable
from concurrent.futures import Future

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from scrapers.adapters.base import Adapter
from scrapers.identity import ListingUrl, UrlError, parse, split_host
from scrapers.model import Settings
from scrapers.share import Resolution, ShareResolver, share_adapter

from ..config import allowed_networks, user_agent
from ..extensions import db
from ..models import Listing, Marketplace, MarketplaceHost, Product, User


class ListingUrlError(ValueError):
    """A URL refused, with a message in the user's language."""


def url_error_message(exc: UrlError, marketplace: Marketplace | None = None) -> str:
    """The user's-language sentence for a `scrapers.identity` refusal."""
    return {
        "empty": _("Hãy nhập đường dẫn gian hàng."),
        "malformed": _("Đường dẫn không hợp lệ."),
        "scheme": _("Chỉ chấp nhận đường dẫn bắt đầu bằng http:// hoặc https://."),
        "not_item": _(
            "Đường dẫn không trỏ tới một trang sản phẩm của %(marketplace)s "
            "(không đọc được mã sản phẩm).",
            marketplace=marketplace.name if marketplace else "",
        ),
    }[exc.code]


def share_message(found: Resolution, names: str) -> str:
    """The user's-language sentence for a share link that led to no listing of `names`."""
    where = found.last if len(found.last) <= 120 else found.last[:117] + "…"
    try:
        host = split_host(found.last)[1]
    except UrlError:
        host = where
    return {
        "off_site": _("Liên kết chia sẻ dẫn ra ngoài sàn %(marketplace)s (tới %(host)s); hãy mở "
                      "liên kết rồi dán đường dẫn của trang sản phẩm.",
                      marketplace=names, host=host),
        "refused": _("Liên kết chia sẻ dẫn tới một địa chỉ nội bộ hoặc không công khai "
                     "(%(host)s); hệ thống không mở địa chỉ như vậy.", host=host),
        "unreachable": _("Không mở được liên kết chia sẻ: máy chủ của sàn không trả lời hoặc "
                         "từ chối. Hãy thử lại sau, hoặc dán đường dẫn của trang sản phẩm."),
        "too_many_redirects": _("Liên kết chia sẻ chuyển hướng quá nhiều lần hoặc quay vòng; "
                                "hãy dán đường dẫn của trang sản phẩm."),
        "not_listing": _("Liên kết chia sẻ không dẫn tới trang một sản phẩm của %(marketplace)s "
                         "(mà tới %(url)s).", marketplace=names, url=where),
        "budget": _("Chưa kịp mở liên kết chia sẻ này: tệp có quá nhiều liên kết chia sẻ cho "
                    "một lần nhập. Hãy thay bằng đường dẫn của trang sản phẩm hoặc chia nhỏ tệp."),
    }[found.outcome]


def share_resolver(*, budget: float | None = None, workers: int = 1) -> ShareResolver:
    """A share-link resolver on the app's checker settings (User-Agent, allowed networks)."""
    config = current_app.config
    settings = Settings(user_agent=user_agent(config),
                        allowed_networks=allowed_networks(config["SCRAPER_ALLOWED_NETWORKS"]),
                        read_timeout=float(config["SCRAPER_TIMEOUT"]),
                        retries=int(config["SCRAPER_RETRIES"]),
                        backoff=float(config["SCRAPER_BACKOFF"]),
                        polite=bool(config["SCRAPER_POLITE"]))
    resolver = config.get("SCRAPER_RESOLVER")
    return ShareResolver(settings, resolver=resolver if callable(resolver) else None,
                         timeout=float(config["SHARE_TIMEOUT"]), budget=budget,
                         workers=workers)


class Pending:
    """A URL being resolved: `done()` tells whether `result()` would wait for the network."""

    def __init__(self, future: Future, finish: Callable[[object], tuple] = lambda r: r):
        self.future, self.finish = future, finish

    @classmethod
    def now(cls, resolve: Callable[[], tuple]) -> "Pending":
        """The outcome of `resolve()`, already there."""
        future: Future = Future()
        try:
            future.set_result(resolve())
        except ListingUrlError as exc:
            future.set_exception(exc)
        return cls(future)

    def done(self) -> bool:
        return self.future.done()

    def result(self) -> "tuple[Marketplace, ListingUrl]":
        """The marketplace and parsed listing; raises ListingUrlError."""
        return self.finish(self.future.result())


class Resolver:
    """Knows every marketplace host; load it once, then resolve any number of URLs. Close it
    (or use it in a `with`) when share links may have been followed."""

    def __init__(self, shares: Callable[[], ShareResolver] = share_resolver,
                 known: dict[str, tuple[int, str, str]] | None = None):
        rows = db.session.execute(select(MarketplaceHost.host, Marketplace).join(
            Marketplace, MarketplaceHost.marketplace_id == Marketplace.id))
        self.by_host: dict[str, Marketplace] = {host: mp for host, mp in rows}
        self._make_shares = shares
        self._shares: ShareResolver | None = None
        # entered URL -> (marketplace id, item id, canonical URL); None: ask the database
        self.known = known

    def resolve(self, url: str, marketplace: Marketplace | None = None
                ) -> tuple[Marketplace, ListingUrl]:
        """The marketplace and parsed URL of `url`; raises ListingUrlError."""
        return self.start(url, marketplace).result()

    def start(self, url: str, marketplace: Marketplace | None = None) -> Pending:
        """Begin resolving `url`: a share link is followed on the share resolver's threads,
        anything else is resolved at once."""
        adapter = share_adapter(url)
        if adapter is None:
            return Pending.now(lambda: self._direct(url, marketplace))
        return self._share(url.strip(), adapter, marketplace)

    def _direct(self, url: str, marketplace: Marketplace | None
                ) -> tuple[Marketplace, ListingUrl]:
        """A listing URL typed out in full."""
        try:
            _parts, host = split_host(url)
        except UrlError as exc:
            raise ListingUrlError(url_error_message(exc)) from None
        found = self.by_host.get(host)
        if found is None:
            raise ListingUrlError(_(
                "Tên miền %(host)s không thuộc sàn nào đã đăng ký.", host=host))
        if marketplace is not None and found.id != marketplace.id:
            raise ListingUrlError(_(
                "Tên miền %(host)s thuộc sàn %(found)s, không phải %(marketplace)s.",
                host=host, found=found.name, marketplace=marketplace.name))
        try:
            return found, parse(url, found.adapter)
        except UrlError as exc:
            raise ListingUrlError(url_error_message(exc, found)) from None

    def _share(self, url: str, adapter: Adapter, marketplace: Marketplace | None) -> Pending:
        """A share link: the listing it was found to be before, else followed now."""
        if marketplace is not None and marketplace.adapter != adapter.name:
            return Pending.now(lambda: _refuse(_(
                "Đây là liên kết chia sẻ của bộ đọc %(adapter)s, không phải của sàn "
                "%(marketplace)s.", adapter=adapter.name, marketplace=marketplace.name)))
        candidates = {mp.id: mp for mp in self.by_host.values()
                      if mp.adapter == adapter.name
                      and (marketplace is None or mp.id == marketplace.id)}
        if not candidates:
            return Pending.now(lambda: _refuse(_(
                "Đây là liên kết chia sẻ của bộ đọc %(adapter)s, nhưng chưa có sàn nào dùng bộ "
                "đọc này.", adapter=adapter.name)))
        if (known := self._known(url)) is not None and known[0] in candidates:
            mp_id, item_id, canonical = known
            return Pending.now(lambda: (candidates[mp_id], ListingUrl(
                url, split_host(canonical)[1], canonical, item_id)))
        hosts = {host for host, mp in self.by_host.items() if mp.id in candidates}
        names = ", ".join(sorted(mp.name for mp in candidates.values()))
        if self._shares is None:
            self._shares = self._make_shares()

        def finish(found: Resolution) -> tuple[Marketplace, ListingUrl]:
            if not found.ok:
                raise ListingUrlError(share_message(found, names))
            return self.by_host[found.listing.host], found.listing

        return Pending(self._shares.submit(url, adapter, hosts), finish)

    def _known(self, url: str) -> tuple[int, str, str] | None:
        """What a listing entered as `url` was found to be, if the registry has one."""
        if self.known is not None:
            return self.known.get(url)
        row = db.session.execute(select(Listing.marketplace_id, Listing.item_id,
                                        Listing.canonical_url)
                                 .where(Listing.url == url).limit(1)).first()
        return tuple(row) if row else None

    def close(self) -> None:
        """Stop following share links and close their connections."""
        if self._shares is not None:
            self._shares.close()
            self._shares = None

    def __enter__(self) -> "Resolver":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _refuse(message: str):
    """Raise the refusal `message` (for a Pending that is a refusal)."""
    raise ListingUrlError(message)


def duplicate_message(product: Product, viewer: User | None = None) -> str:
    """The refusal of a listing another product already has, naming that product only to a
    `viewer` who may see it (an officer, or the producer it belongs to): a producer must not
    learn another producer's products or proposals from it. No viewer: an officer's tool."""
    if (viewer is not None and not viewer.can("officer")
            and viewer.producer_id != product.producer_id):
        return _("Gian hàng này đã được đăng ký trong hệ thống, không thêm lại được.")
    return _("Gian hàng này đã được gắn với sản phẩm %(product)s.", product=str(product))


def existing_listing(marketplace_id: int, item_id: str) -> Listing | None:
    """The listing that already sells this marketplace item, if any."""
    return db.session.scalar(select(Listing).where(
        Listing.marketplace_id == marketplace_id, Listing.item_id == item_id))
