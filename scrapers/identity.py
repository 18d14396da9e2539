"""Who a listing URL points at: its host, its canonical form and the marketplace's item id.

The patterns follow the URL shapes in DOMAIN.md. A marketplace is known by its adapter name;
which hosts it serves is data the caller passes in, never a constant here.
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

ADAPTERS = ("generic", "shopee", "lazada", "tiki", "tiktok", "sendo", "postmart", "voso")

# Query parameters that only track where a click came from.
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {"spm", "sp_atk", "xptdk", "fbclid", "gclid", "gbraid", "wbraid", "dclid", "msclkid",
     "yclid", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "scm", "clickTrackInfo",
     "trafficFrom", "laz_trackid", "_branch_match_id", "_branch_referrer", "share_app_id",
     "share_link_id", "u_code", "tt_from", "sec_user_id"}
)

# Per adapter: the patterns that find the item id in a path, and the query parameters that
# belong to the item (all others are dropped). None means "keep every non-tracking parameter".
ITEM_PATTERNS: dict[str, tuple[re.Pattern, ...]] = {
    "shopee": (
        re.compile(r"^/(?:[^/]*-)?i\.(?P<shop>\d+)\.(?P<item>\d+)/?$"),
        re.compile(r"^/product/(?P<shop>\d+)/(?P<item>\d+)/?$"),
    ),
    "lazada": (re.compile(r"^/products/(?:[^/]*-)?i(?P<item>\d+)(?:-s\d+)?\.html$"),),
    "tiki": (re.compile(r"^/(?:[^/]*-)?p(?P<item>\d+)\.html$"),),
    "tiktok": (
        re.compile(r"^/view/product/(?P<item>\d+)/?$"),
        re.compile(r"^/(?:[a-z]{2}/)?pdp/(?:[^/]+/)?(?P<item>\d+)/?$"),
    ),
    "sendo": (re.compile(r"^/(?:[^/]*-)?(?P<item>\d+)\.html$"),),
    "postmart": (re.compile(r"^/p/(?:[^/]*-)?(?P<item>[A-Za-z0-9]+)\.html$"),),
    "voso": (re.compile(r"^/(?:[^/]*-)?p(?P<item>\d+)\.html$"),),
}
ITEM_PARAMS: dict[str, frozenset[str] | None] = {
    "shopee": frozenset(),
    "lazada": frozenset(),
    "tiki": frozenset({"spid"}),
    "tiktok": frozenset({"region", "locale"}),
    "sendo": frozenset(),
    "postmart": frozenset(),
    "voso": frozenset(),
    "generic": None,
}


class UrlError(ValueError):
    """A URL that cannot be a listing; `code` names the reason for the caller to translate."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class ListingUrl:
    """A listing URL taken apart: `host` includes a non-default port (an IPv6 address in
    brackets, as in a URL)."""

    entered: str
    host: str
    canonical: str
    item_id: str | None = None


def split_host(url: str) -> tuple[SplitResult, str]:
    """`url` taken apart, with its host (and a non-default port) lower-cased; raises UrlError."""
    text = url.strip()
    if not text:
        raise UrlError("empty")
    if "://" not in text and re.match(r"^[\w.-]+\.[a-z]{2,}(:\d+)?/", text):
        text = "https://" + text  # people paste "shopee.vn/..." without the scheme
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UrlError("malformed", str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlError("scheme", scheme)
    if not parts.hostname or parts.username or parts.password:
        raise UrlError("malformed")
    if "[" in parts.netloc:
        host = _ipv6_literal(parts.hostname)
    else:
        host = parts.hostname.rstrip(".").lower()
    if port and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    return parts._replace(scheme=scheme), host


def _ipv6_literal(address: str) -> str:
    """An IP literal host ("[2001:DB8:0::1]") in the one form hosts are matched by and URLs are
    built with: RFC 5952's, in brackets ("[2001:db8::1]"). A zone ("%eth0") names an interface
    of one machine and an "IPvFuture" literal no address; both are refused as malformed."""
    try:
        ip = ipaddress.IPv6Address(address)
    except ValueError:
        raise UrlError("malformed", address) from None
    if ip.scope_id:
        raise UrlError("malformed", address)
    text = f"::ffff:{ip.ipv4_mapped}" if ip.ipv4_mapped else ip.compressed  # same in every Python
    return f"[{text}]"


def parse(url: str, adapter: str) -> ListingUrl:
    """Canonicalise `url` for `adapter` and find its item id; raises UrlError."""
    parts, host = split_host(url)
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    keep = ITEM_PARAMS.get(adapter)
    query = urlencode(sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _tracking(k) and (keep is None or k in keep)
    ))
    canonical = urlunsplit((parts.scheme, host, path, query, ""))
    if adapter == "generic":
        item = (path.rstrip("/") or "/") + (f"?{query}" if query else "")
        return ListingUrl(url.strip(), host, canonical, item)
    for pattern in ITEM_PATTERNS.get(adapter, ()):
        match = pattern.match(path)
        if match:
            groups = match.groupdict()
            item = f"{groups['shop']}.{groups['item']}" if "shop" in groups else groups["item"]
            return ListingUrl(url.strip(), host, canonical, item)
    raise UrlError("not_item", path)


def _tracking(name: str) -> bool:
    """Whether a query parameter only records where a visitor came from."""
    return name in TRACKING_PARAMS or name.lower().startswith(TRACKING_PREFIXES)
