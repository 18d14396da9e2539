"""Who a listing URL points at: its host, its canonical form and the marketplace's item id.

The generic machinery only: taking a URL apart, dropping tracking parameters, the canonical
form. What a marketplace's listing URLs look like (the patterns that find the item id, the
query parameters that belong to the item) is declared by its adapter, in its own module under
`scrapers/adapters/`, and `parse` asks the adapter for it. Which hosts a marketplace serves is
data the caller passes in, never a constant here.
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track where a click came from.
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {"spm", "sp_atk", "xptdk", "fbclid", "gclid", "gbraid", "wbraid", "dclid", "msclkid",
     "yclid", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "scm", "clickTrackInfo",
     "trafficFrom", "laz_trackid", "_branch_match_id", "_branch_referrer", "share_app_id",
     "share_link_id", "u_code", "tt_from", "sec_user_id"}
)


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


def parse(url: str, adapter) -> ListingUrl:
    """Canonicalise `url` for `adapter` (an adapter, or the name of a registered one) and find
    its item id with the adapter's own URL shapes; raises UrlError."""
    shape = _registered(adapter) if isinstance(adapter, str) else adapter
    parts, host = split_host(url)
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    keep = shape.item_params
    query = urlencode(sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _tracking(k) and (keep is None or k in keep)
    ))
    canonical = urlunsplit((parts.scheme, host, path, query, ""))
    item = shape.item_in(path, query)
    if item is None:
        raise UrlError("not_item", path)
    return ListingUrl(url.strip(), host, canonical, item)


class _Unregistered:
    """The URL shape of an adapter name nobody registered: no URL is one of its listings."""

    item_params = None

    def item_in(self, path: str, query: str) -> None:
        """Never an item."""
        return None


def _registered(name: str):
    """The registered adapter called `name`, else a shape that accepts no URL."""
    from scrapers import adapters  # here, not at the top: the adapters import this module

    return adapters.ADAPTERS.get(name) or _Unregistered()


def _tracking(name: str) -> bool:
    """Whether a query parameter only records where a visitor came from."""
    return name in TRACKING_PARAMS or name.lower().startswith(TRACKING_PREFIXES)
