"""The judgement every marketplace shares: hops, HTTP status, redirects, then the page itself.

Precedence on a page (first that applies decides):
 1. a hop to a login, verify or captcha path → blocked
 2. status: 404/410 → removed; 401/403/451 → blocked; 408/429/5xx → unreachable; other → unknown
 3. a redirect to a page that is not the same item: home/search/category → removed (unless
    that page is itself a wall: blocked), another item → unknown; the same item under a new
    slug is judged as the listing
 4. body: empty or not HTML → unknown
 5. schema.org availability (JSON-LD, microdata, OpenGraph), then the adapter's own page data
 6. challenge markup (Cloudflare, captcha, Lazada punish) → blocked
 7. visible text: captcha phrases → blocked; not-found phrases with no product entity and no
    stock phrase → removed (soft 404); out-of-stock, discontinued → out_of_stock; buy → active
 8. a product entity with a price but no stated availability → active
 9. a login form or captcha widget with nothing else → blocked
10. otherwise unknown: truncated, unreadable JSON-LD, app shell, no signals

The browser route hands `judge` the same kind of `Page`, its body the DOM after the page's
scripts ran (`page.rendered`) and `page.responses` the JSON those scripts fetched; adapters with
an item API read the latter where the HTTP route would call the API itself (`api.ApiAdapter`).
A script's navigation to another page of the marketplace is a hop of the chain, so a script
redirect to a login or verify page is judged by step 1.
"""

import re
from urllib.parse import urlsplit

from scrapers import extract
from scrapers.identity import UrlError, parse, split_host
from scrapers.model import Finding, Page, Target

HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
JSON_ACCEPT = "application/json"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
SHELL_TEXT = 200  # visible characters under which a page is an empty JavaScript shell
_LOGIN_PATH = re.compile(r"/(?:buyer/|account/|user/)?(?:log-?in|sign-?in|dang-nhap)\b", re.I)
_VERIFY_PATH = re.compile(r"/verify\b|captcha|/punish\b|_{3,}tmd_{3,}|/challenge\b", re.I)
_END = re.compile(r"</html\s*>", re.I)


def hop_urls(page: Page) -> list[str]:
    """Every URL the request was sent on to, the final one included."""
    return [hop.get("url", "") for hop in page.chain[1:]] + [page.final_url]


def path_of(url: str) -> str:
    """Path and query of `url`: where on the site a hop went."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def base_url(target: Target) -> str:
    """"scheme://host[:port]" of the listing: API calls go to the listing's own host."""
    parts, host = split_host(target.url)
    return f"{parts.scheme}://{host}"


def challenge_of(page: Page, html: str) -> tuple[str, str] | None:
    """(rule, marker) when the response is an anti-bot challenge, by header or markup."""
    if page.headers.get("cf-mitigated", "").lower() == "challenge":
        return "cloudflare-challenge", "cf-mitigated: challenge"
    return extract.challenge(html)


class Adapter:
    """The generic judgement; marketplaces override the hooks that differ."""

    name = "generic"
    ids_comparable = True  # item ids tell a new slug from another item (not so for generic)
    # Where the marketplace's listings are; `identity.parse` reads these. Patterns that find
    # the item id in a URL's path (a named group `item`, and `shop` when the id is
    # "<shop>.<item>"), tried in order; and the query parameters that belong to the item, all
    # others dropped (None: keep every parameter that does not track a click). No patterns, as
    # here: any page is a listing, named by its path and query (the generic shape).
    item_patterns: tuple[re.Pattern, ...] = ()
    item_params: frozenset[str] | None = None
    # Host names of the marketplace's link shortener: the links its "Chia sẻ" (share) button
    # makes, which `scrapers.share` follows to the listing they stand for. Any port.
    share_hosts: frozenset[str] = frozenset()
    # The browser route stops waiting once this CSS selector is in the DOM (else when the
    # network is idle, or at the deadline).
    browser_ready: str | None = None
    # The browser route renders this marketplace's listings one after another in a kept tab
    # (browser._Tab: cookies and storage forgotten between listings, its renderer and compiled
    # scripts kept), instead of a fresh context each: about a third of the CPU for a
    # script-heavy app shell (bench/README.md).
    browser_warm = False

    def check(self, target: Target, fetch) -> Finding:
        """Fetch the listing page and judge it."""
        return self.judge(target, fetch(target.url, accept=HTML_ACCEPT))

    def browser_expects(self, target: Target):
        """A test on the URLs of responses the listing page's scripts are expected to fetch
        (the item's data): until one came, the browser route waits for a longer quiet before
        taking the page. None here: no such response."""
        return None

    def judge(self, target: Target, page: Page) -> Finding:
        """A finding for one fetched listing page."""
        return (self.judge_hops(page) or self.judge_status(page)
                or self.judge_redirect(target, page) or self.judge_body(page))

    def judge_hops(self, page: Page) -> Finding | None:
        """A hop to a login or verification path means the marketplace refused to show it."""
        for url in hop_urls(page):
            path = path_of(url)
            if _LOGIN_PATH.search(path):
                return Finding("blocked", "login-wall", f"redirected to {url}")
            if _VERIFY_PATH.search(path):
                return Finding("blocked", "captcha", f"redirected to {url}")
        return None

    def judge_status(self, page: Page) -> Finding | None:
        """What the final HTTP status alone says; None for a success to look into."""
        status = page.status
        # a challenge page is no answer about the item, whatever its status
        if (status in (404, 410, 401, 403, 451, 503)
                and (hit := challenge_of(page, page.text()))):
            return Finding("blocked", hit[0], f"HTTP {status}, {hit[1]}")
        if status in (404, 410):
            return Finding("removed", f"http-{status}", f"HTTP {status} at {page.final_url}")
        if status in (401, 403, 451):
            return Finding("blocked", f"http-{status}", f"HTTP {status} at {page.final_url}")
        if status in (408, 429) or status >= 500:
            return Finding("unreachable", f"http-{status}", f"HTTP {status} at {page.final_url}")
        if not 200 <= status < 300:
            return Finding("unknown", f"http-{status}", f"HTTP {status} at {page.final_url}")
        return None

    def item_in(self, path: str, query: str) -> str | None:
        """The item id a listing URL's path (and kept query) names; None: not a listing page."""
        if not self.item_patterns:
            return (path.rstrip("/") or "/") + (f"?{query}" if query else "")
        for pattern in self.item_patterns:
            if match := pattern.match(path):
                groups = match.groupdict()
                return f"{groups['shop']}.{groups['item']}" if "shop" in groups else groups["item"]
        return None

    def item_id(self, url: str) -> str | None:
        """The marketplace's item id in `url`, None when it is not an item page."""
        try:
            return parse(url, self).item_id
        except UrlError:
            return None

    def judge_redirect(self, target: Target, page: Page) -> Finding | None:
        """Judge a redirect by the item it ends on, not by its status (DOMAIN rule 7)."""
        if not page.redirected:
            return None
        final = self.item_id(page.final_url)
        if final is None:
            # a wall shown at the home page is no sign the item went: look before saying so
            seen = self.judge_body(page)
            if seen.verdict == "blocked":
                seen.detail = f"redirected to {page.final_url}, {seen.detail}"
                return seen
            return Finding("removed", "redirect-away", f"redirected to {page.final_url}")
        original = target.item_id or self.item_id(target.url)
        if self.ids_comparable and original is not None and final != original:
            return Finding("unknown", "redirect-other-item",
                           f"redirected to item {final} at {page.final_url}")
        return None  # the same item, perhaps under a new slug: the page decides

    def judge_body(self, page: Page) -> Finding:
        """A successful response: its media type, then its HTML."""
        if not page.body.strip():
            return Finding("unknown", "empty-body", f"HTTP {page.status} with an empty body")
        html = page.text()
        kind = page.content_type
        sniffed = kind in ("", "text/plain") and html.lstrip()[:1] == "<"
        if kind not in HTML_TYPES and not sniffed:
            return Finding("unknown", "content-type", f"content type {kind or 'none'}")
        return self.judge_html(page, html)

    def page_data(self, html: str, signals: extract.Signals) -> Finding | None:
        """A marketplace's own product data in the page (Lazada's module JSON); None here."""
        return None

    def judge_html(self, page: Page, html: str) -> Finding:
        """Steps 5–10 of the module's precedence on one HTML page."""
        signals = extract.structured(html)

        def found(verdict: str, rule: str, detail: str) -> Finding:
            return Finding(verdict, rule, detail, signals.title, signals.price,
                           signals.availability)

        if signals.verdict:
            return found(signals.verdict, f"{signals.source}-availability",
                         f'availability "{signals.availability}"')
        if own := self.page_data(html, signals):
            return own
        if hit := challenge_of(page, html):
            return found("blocked", *hit)
        text = extract.visible_text(html)
        if text is None:
            return found("unknown", "empty-body", "no HTML document in the body")
        head = extract.find_phrases(f"{text.title} | {text.heading}")
        area = extract.find_phrases(text.area)
        stock = [k for k in ("out_of_stock", "discontinued", "in_stock") if k in area]
        if phrase := area.get("captcha") or head.get("captcha"):
            return found("blocked", "captcha", f'"{phrase}"')
        not_found = head.get("not_found") or area.get("not_found")
        if not_found and not signals.product and not stock:
            return found("removed", "soft-404", f'"{not_found}" and no product on the page')
        if stock:
            rule = {"out_of_stock": ("out_of_stock", "phrase-out-of-stock"),
                    "discontinued": ("out_of_stock", "phrase-discontinued"),
                    "in_stock": ("active", "phrase-in-stock")}[stock[0]]
            return found(*rule, f'"{area[stock[0]]}"')
        if signals.product and signals.price:
            return found("active", "product-entity",
                         f"a product at {signals.price} VND with no stated availability")
        if (login := area.get("login")) or text.password_field:
            return found("blocked", "login-wall",
                         f'"{login}"' if login else "a password field and nothing else")
        if widget := extract.CAPTCHA_WIDGET.search(html):
            return found("blocked", "captcha", widget.group())
        return found("unknown", *self.why_unknown(html, signals, text))

    def why_unknown(self, html: str, signals: extract.Signals,
                    text: extract.Text) -> tuple[str, str]:
        """(rule, detail) for a page that said nothing decisive: what was seen."""
        seen = (f"title {signals.title!r}; {signals.jsonld} JSON-LD block(s), "
                f"{signals.jsonld_invalid} unreadable; {len(text.area)} characters of text")
        if not _END.search(html):
            return "truncated", f"no </html>; {seen}"
        if signals.jsonld_invalid and not signals.product:
            return "invalid-jsonld", seen
        if len(text.area) < SHELL_TEXT and not signals.product:
            return "app-shell", seen
        return "no-signals", seen
