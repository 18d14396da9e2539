"""Turn a URL someone typed into a marketplace, a canonical URL and an item id, or a reason."""

from flask_babel import gettext as _
from sqlalchemy import select

from scrapers.identity import ListingUrl, UrlError, parse, split_host

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


class Resolver:
    """Knows every marketplace host; load it once, then resolve any number of URLs."""

    def __init__(self):
        rows = db.session.execute(select(MarketplaceHost.host, Marketplace).join(
            Marketplace, MarketplaceHost.marketplace_id == Marketplace.id))
        self.by_host: dict[str, Marketplace] = {host: mp for host, mp in rows}

    def resolve(self, url: str, marketplace: Marketplace | None = None
                ) -> tuple[Marketplace, ListingUrl]:
        """The marketplace and parsed URL of `url`; raises ListingUrlError."""
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
