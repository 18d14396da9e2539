"""Any shop or provincial portal: schema.org, OpenGraph and phrases, judged by `Adapter`.

Its "item id" is the path and query, which cannot tell a new slug from another page, so a
redirect decides only when it lands on the home page, a search or a category listing.
"""

import re
from urllib.parse import urlsplit

from scrapers.adapters.base import Adapter

# Paths that list many products or none: landing there instead of the listing means it went.
_AWAY = re.compile(
    r"^/(?:index\.\w+|home|trang-chu|search|tim-kiem|timkiem|catalog|categories|category"
    r"|product-category|danh-muc|shop|cua-hang|collections)?(?:/|$)", re.I)
_SEARCH_QUERY = re.compile(r"(?:^|&)(?:q|s|k|keyword|keywords|query|search)=", re.I)
_PRODUCT_IN_PATH = re.compile(r"/products?/[^/]+", re.I)


class Generic(Adapter):
    """Any marketplace registered with the generic adapter."""

    name = "generic"
    ids_comparable = False
    # item_patterns, item_params: the base class's generic shape (any page, its path and query)

    def item_id(self, url: str) -> str | None:
        """The path and query, or None for a home, search or category page."""
        parts = urlsplit(url)
        path = parts.path or "/"
        if _SEARCH_QUERY.search(parts.query):
            return None
        if _AWAY.match(path) and not _PRODUCT_IN_PATH.search(path):
            return None
        return path + (f"?{parts.query}" if parts.query else "")


ADAPTER = Generic()
