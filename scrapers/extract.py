"""Reading a product page without the network: schema.org data, OpenGraph, phrases and prices.

Two passes keep a check cheap: `structured` reads JSON-LD, OpenGraph and microdata with regular
expressions (no DOM), and `visible_text` parses the DOM with lxml only when that did not decide.
BeautifulSoup is not used here: on a 50 KB page it costs ~30 ms against lxml's ~1.5 ms.
"""

import html as htmllib
import json
import math
import re
import unicodedata
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

# schema.org ItemAvailability (and OpenGraph's spellings), folded, and what each means here.
# Every value under which a buyer can place an order now counts as active: PreOrder, PreSale,
# BackOrder and MadeToOrder take orders, so the listing is on sale even with nothing on hand.
AVAILABILITY = {
    "instock": "active", "limitedavailability": "active", "onlineonly": "active",
    "instoreonly": "active", "presale": "active", "preorder": "active", "backorder": "active",
    "madetoorder": "active", "availablefororder": "active", "available": "active",
    "outofstock": "out_of_stock", "oos": "out_of_stock", "soldout": "out_of_stock",
    "reserved": "out_of_stock",  # "not available for sale" while reserved: listed, not buyable
    "discontinued": "removed",
}
# When offers disagree, one buyable offer makes the listing buyable.
RANK = {"active": 0, "out_of_stock": 1, "removed": 2}

PRODUCT_TYPES = frozenset({"product", "productgroup", "productmodel", "individualproduct"})
LIST_TYPES = frozenset({"itemlist", "breadcrumblist", "offercatalog", "searchresultspage"})

# Phrases by what they mean, as `fold` leaves them. At one position the longest wins, and the
# leftmost match wins, so "sắp hết hàng" (almost gone: still on sale) is not read as "hết hàng".
PHRASES = {
    "not_found": (
        "sản phẩm không tồn tại", "sản phẩm này không tồn tại", "không tìm thấy sản phẩm",
        "sản phẩm đã bị xóa", "sản phẩm đã bị xoá", "sản phẩm đã bị gỡ",
        "sản phẩm không còn tồn tại",
        "trang không tồn tại", "không tìm thấy trang", "trang bạn tìm kiếm không tồn tại",
        "page not found", "product not found", "this product is no longer available",
        "this product does not exist", "product does not exist", "item not found",
    ),
    "out_of_stock": (
        "hết hàng", "tạm hết hàng", "sản phẩm đã hết hàng", "không còn hàng", "đã bán hết",
        "tạm ngừng bán", "tạm ngưng bán", "out of stock", "sold out", "not in stock",
        "currently unavailable",
    ),
    # Listed but no longer sold: out of stock, never removed on its own (the page still exists).
    "discontinued": ("ngừng kinh doanh", "ngưng kinh doanh", "ngừng bán", "ngưng bán",
                     "no longer sold"),
    "in_stock": (
        "thêm vào giỏ hàng", "thêm vào giỏ", "mua ngay", "chọn mua", "đặt mua", "đặt hàng ngay",
        "còn hàng", "add to cart", "add to basket", "add to bag", "buy now", "in stock",
        # marketing that urges buying before stock runs out: on sale now
        "sắp hết hàng", "kẻo hết hàng", "trước khi hết hàng", "almost sold out",
    ),
    "captcha": (
        "verify you are human", "verify that you are human", "please verify you are a human",
        "xác minh bạn là con người", "xác minh bạn không phải là robot",
        "tôi không phải là người máy",
        "i'm not a robot", "i am not a robot", "are you a robot", "unusual traffic",
        "checking your browser", "complete the security check", "slide to verify",
        "kéo thanh trượt để xác minh", "vui lòng trượt để xác minh",
    ),
    "login": (
        "vui lòng đăng nhập", "đăng nhập để tiếp tục", "bạn cần đăng nhập", "please log in",
        "please sign in", "log in to continue", "sign in to continue", "login to continue",
    ),
}

# Tag patterns stop at "<" as well as ">": on hostile markup ("<a<a<a…" without ">") each try
# then ends at the next "<", which keeps every scan linear in the size of the page.
_JSONLD = re.compile(
    r"<script\b[^<>]*\btype\s*=\s*[\"']?application/ld\+json[\"']?[^<>]*>", re.I)
_SCRIPT_END = re.compile(r"</script\s*>", re.I)
_META = re.compile(r"<meta\b[^<>]*>", re.I)
_LINK = re.compile(r"<link\b[^<>]*>", re.I)
_REFRESH_URL = re.compile(r"^\s*\d*(?:\.\d*)?\s*[;,]\s*url\s*=\s*(\S.*)$", re.I)
_ITEMPROP = re.compile(r"<[a-z][a-z0-9]*\b[^<>]*\bitemprop\s*=[^<>]*>([^<]*)", re.I)
_ITEMTYPE_PRODUCT = re.compile(
    r"\bitemtype\s*=\s*[\"']?https?://schema\.org/(?:Product|ProductGroup|IndividualProduct)\b",
    re.I)
_ATTR = re.compile(r"([a-z_:][-a-z0-9_:.]*)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)", re.I)
_TITLE = re.compile(r"<title\b[^<>]*>([^<]*)</title\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_NUMBER = re.compile(r"\d(?:[\d.,\u00a0\u202f]*\d)?")  # no plain spaces: "290.000 2 cái"
_CURRENCY = r"\s*(?:₫|đ|vnđ|vnd)?\s*"
_RANGE = re.compile(rf"(\d[\d.,]*){_CURRENCY}[-–—~]{_CURRENCY}(\d[\d.,]*)", re.I)
_SPACES = re.compile(r"\s+")
# Regions of a page that describe other things: site chrome and lists of other products.
_CHROME = ("script", "style", "noscript", "template", "svg", "header", "nav", "footer", "aside",
           "iframe", "select", "option")
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo"})
_OTHERS = re.compile(r"related|recommend|suggest|similar|best-?sell|ban-chay|goi-y|lien-quan"
                     r"|tuong-tu|viewed|cookie|breadcrumb|mega-?menu", re.I)


def fold(text: str) -> str:
    """`text` for matching: NFC (NFD input is common from Mac and some CMSs), case-folded,
    whitespace collapsed."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.casefold().replace("\u2019", "'").split())


_PHRASE_KIND = {fold(p): kind for kind, phrases in PHRASES.items() for p in phrases}


def find_phrases(text: str) -> dict[str, str]:
    """The first phrase of each category found as whole words in already folded `text`.

    Occurrences are taken leftmost first and longest first without overlap, as a regular
    alternation would, but with str.find: Python's re tries every branch at every position,
    three times slower on a long description.
    """
    hits = []
    for phrase, size in _PHRASE_SIZES:
        at = text.find(phrase)
        while at >= 0:
            if not (_word(text, at - 1) or _word(text, at + size)):
                hits.append((at, -size, phrase))
            at = text.find(phrase, at + 1)
    hits.sort()
    found: dict[str, str] = {}
    end = 0
    for at, negative, phrase in hits:
        if at >= end:
            found.setdefault(_PHRASE_KIND[phrase], phrase)
            end = at - negative
    return found


_PHRASE_SIZES = [(p, len(p)) for p in _PHRASE_KIND]


def _word(text: str, at: int) -> bool:
    """Whether the character at `at` (if any) belongs to a word."""
    return 0 <= at < len(text) and (text[at].isalnum() or text[at] == "_")


def parse_price(value) -> int | None:
    """A VND amount from a JSON number or text such as "1.290.000 ₫", "₫1,290,000" or a range
    (its lower bound); None when there is none. Dots and commas group thousands unless one of
    them is followed by one or two final digits ("290000.00")."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        amount = round(value) if math.isfinite(value) else None  # JSON may carry NaN
    else:
        text = str(value)
        if match := _RANGE.search(text):
            amount = min(_amount(match.group(1)), _amount(match.group(2)))
        else:
            match = _NUMBER.search(text)
            amount = _amount(match.group()) if match else None
    return amount if amount and amount > 0 else None


def _amount(token: str) -> int:
    """One number written with grouping and maybe a decimal part, rounded to whole đồng."""
    token = re.sub(r"[\u00a0\u202f]", "", token)
    last = max(token.rfind("."), token.rfind(","))
    if last >= 0 and 1 <= len(token) - last - 1 <= 2:  # a decimal part
        whole, fraction = token[:last], token[last + 1:]
    else:
        whole, fraction = token, ""
    return round(float(f"{re.sub(r'[.,]', '', whole)}.{fraction or 0}"))


def availability_verdict(value) -> str | None:
    """What a schema.org or OpenGraph availability value means: active, out_of_stock, removed."""
    return AVAILABILITY.get(_availability_key(value)) if value else None


def _availability_text(value) -> str:
    """An availability value as written: {"@id": …} and one-item lists unwrapped."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("@value") or value.get("name") or ""
    return str(value).strip()


def _availability_key(value) -> str:
    """"https://schema.org/InStock", "schema:InStock", "in stock" and {"@id": …} → "instock"."""
    text = _availability_text(value).rstrip("/")
    text = re.split(r"[/:#]", text)[-1]
    return re.sub(r"[^a-z]", "", text.lower())


@dataclass
class Signals:
    """What the structured data of a page says; `verdict` comes from `availability`."""

    title: str | None = None
    price: int | None = None
    availability: str | None = None  # as written on the page
    source: str | None = None  # "jsonld", "microdata" or "og": where availability was read
    verdict: str | None = None
    product: bool = False  # the page carries a product entity (any of the three kinds)
    jsonld: int = 0  # JSON-LD blocks seen
    jsonld_invalid: int = 0  # of which unreadable


def structured(html: str) -> Signals:
    """JSON-LD first, then microdata, then OpenGraph: the first availability found decides."""
    signals = Signals()
    _read_jsonld(html, signals)
    if signals.verdict and signals.price is not None and signals.title:
        return signals  # nothing microdata or OpenGraph say could change it: skip two passes
    meta = _meta(html)
    micro = _microdata(html)
    if micro.get("product"):
        signals.product = True
    og_type = meta.get("og:type", "").lower()
    if "product" in og_type or "product:price:amount" in meta:
        signals.product = True
    for source, value in (("microdata", micro.get("availability")),
                          ("og", meta.get("product:availability") or meta.get("og:availability"))):
        if signals.verdict is None and value and (verdict := availability_verdict(value)):
            signals.availability, signals.source, signals.verdict = value, source, verdict
    if signals.price is None:
        signals.price = parse_price(micro.get("price")) or parse_price(
            meta.get("product:price:amount") or meta.get("og:price:amount"))
    if not signals.title:
        signals.title = meta.get("og:title") or page_title(html)
    return signals


def page_title(html: str) -> str | None:
    """The document's <title>, unescaped and with collapsed whitespace."""
    match = _TITLE.search(html)
    return _clean(match.group(1)) if match else None


def _clean(text) -> str | None:
    """Text from markup or JSON as one tidy line, or None when empty."""
    if isinstance(text, dict):
        text = text.get("@value")
    if isinstance(text, list):
        text = text[0] if text else None
    if not isinstance(text, str):
        return None
    return _SPACES.sub(" ", htmllib.unescape(text)).strip() or None


def _read_jsonld(html: str, signals: Signals) -> None:
    """Fill `signals` from the main Product of the page's JSON-LD blocks."""
    products: list[dict] = []
    at = 0
    while match := _JSONLD.search(html, at):
        end = _SCRIPT_END.search(html, match.end())
        at = end.end() if end else len(html)
        signals.jsonld += 1
        raw = html[match.end():end.start() if end else len(html)].strip()
        raw = re.sub(r"^(?:<!--|//\s*<!\[CDATA\[)|(?:-->|//\s*\]\]>)$", "", raw).strip()
        try:
            data = json.loads(raw, strict=False)  # raw newlines inside strings are common
        except (ValueError, RecursionError):  # garbage, or nesting deep enough to be hostile
            signals.jsonld_invalid += 1
            continue
        _collect_products(data, products, 0)
    if not products:
        return
    signals.product = True
    main = products[0]
    signals.title = _clean(main.get("name"))
    offers = _offers(main)
    prices = [p for o in offers for p in (parse_price(o.get("price")),
                                          parse_price(o.get("lowprice"))) if p]
    signals.price = min(prices) if prices else None
    found = [(availability_verdict(v), v) for v in _availabilities(main, offers)]
    found = [(verdict, v) for verdict, v in found if verdict]
    if found:
        verdict, value = min(found, key=lambda pair: RANK[pair[0]])
        signals.verdict, signals.source = verdict, "jsonld"
        signals.availability = _availability_text(value)


def _lower(node: dict) -> dict:
    """A JSON-LD object with lower-case keys: real pages write "Offers" and "Availability"."""
    return {k.lower() if isinstance(k, str) else k: v for k, v in node.items()}


def _types(node: dict) -> set[str]:
    """The node's @type values as bare lower-case names ("http://schema.org/Product" → product)."""
    value = node.get("@type") or node.get("type") or ()
    values = value if isinstance(value, list) else [value]
    return {re.split(r"[/:#]", v)[-1].lower() for v in values if isinstance(v, str)}


def _collect_products(node, products: list[dict], depth: int) -> None:
    """Products in document order; lists of other items (ItemList …) are skipped."""
    if depth > 12:
        return
    if isinstance(node, list):
        for child in node:
            _collect_products(child, products, depth + 1)
    elif isinstance(node, dict):
        node = _lower(node)
        types = _types(node)
        if types & PRODUCT_TYPES:
            products.append(node)
        elif not types & LIST_TYPES:
            for child in node.values():
                if isinstance(child, dict | list):
                    _collect_products(child, products, depth + 1)


def _offers(product: dict) -> list[dict]:
    """Every offer of a product: an object, a list, an AggregateOffer's offers, variants'."""
    pending = [product.get("offers")]
    for variant in _as_list(product.get("hasvariant")):
        if isinstance(variant, dict):
            pending.append(_lower(variant).get("offers"))
    offers = []
    while pending:
        item = pending.pop(0)
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            offer = _lower(item)
            offers.append(offer)
            pending.extend(_as_list(offer.get("offers")))
            pending.extend(_as_list(offer.get("pricespecification")))
    return offers


def _availabilities(product: dict, offers: list[dict]) -> list:
    """Availability values on the product itself (non-standard but seen) and its offers."""
    values = _as_list(product.get("availability"))
    for offer in offers:
        values.extend(_as_list(offer.get("availability")))
    return [v for v in values if v]


def _as_list(value) -> list:
    """`value` as a list: JSON-LD allows one object or many anywhere."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _attrs(tag: str) -> dict[str, str]:
    """A start tag's attributes, names lower-case, values unescaped."""
    return {name.lower(): htmllib.unescape(value.strip("\"'"))
            for name, value in _ATTR.findall(tag[1:])}


def _meta(html: str) -> dict[str, str]:
    """<meta property|name=… content=…> by lower-case key, the first of each winning."""
    meta: dict[str, str] = {}
    for tag in _META.findall(html):
        attrs = _attrs(tag)
        key = (attrs.get("property") or attrs.get("name") or "").lower()
        if key and "content" in attrs:
            meta.setdefault(key, attrs["content"].strip())
    return meta


def redirect_hints(html: str) -> tuple[str | None, str | None, str | None]:
    """Where a page says it really is: (meta refresh URL, canonical link, og:url), as written
    (relative or absolute), each None when absent. Regular expressions, as for `structured`."""
    refresh = None
    for tag in _META.findall(html):
        attrs = _attrs(tag)
        if attrs.get("http-equiv", "").lower() == "refresh":
            if match := _REFRESH_URL.search(attrs.get("content", "")):
                refresh = match.group(1).strip().strip("\"'")
            break
    canonical = None
    for tag in _LINK.findall(html):
        attrs = _attrs(tag)
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            canonical = attrs["href"].strip()
            break
    return refresh or None, canonical, _meta(html).get("og:url") or None


def _microdata(html: str) -> dict:
    """itemprop availability and price (from href, content or the text that follows)."""
    found: dict = {"product": "itemtype" in html and bool(_ITEMTYPE_PRODUCT.search(html))}
    if "itemprop" not in html:  # the scan below is the costliest part of the first pass
        return found
    for match in _ITEMPROP.finditer(html):
        attrs = _attrs(match.group(0))
        value = attrs.get("href") or attrs.get("content") or match.group(1).strip()
        for prop in attrs.get("itemprop", "").lower().split():
            if prop in ("availability", "price", "lowprice") and value:
                found.setdefault("price" if prop == "lowprice" else prop, value)
    return found


@dataclass
class Text:
    """The visible text of a page, folded: `area` leaves out site chrome and other products."""

    title: str
    heading: str
    area: str
    password_field: bool = False


def visible_text(html: str) -> Text | None:
    """Parse the DOM (lxml) and keep what a reader sees; None when nothing can be parsed."""
    html = _XML_DECL.sub("", html, count=1)  # lxml refuses str input with an encoding declaration
    try:
        doc = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    first_title = doc.find(".//title")
    title = first_title.text_content() if first_title is not None else ""
    password = bool(doc.xpath("//input[translate(@type,'PASWORD','pasword')='password']"))
    etree.strip_elements(doc, *_CHROME, etree.Comment, etree.ProcessingInstruction,
                         with_tail=False)
    # body/main and whatever holds the page's <h1> stay whatever their classes say
    # (WordPress puts tokens such as "cookies-not-set" on <body>)
    for element in doc.xpath("//body//*[(@class or @id or @role) and not(self::main)"
                             " and not(.//h1)]"):
        if element.get("role") in _CHROME_ROLES or _OTHERS.search(
                f"{element.get('class', '')} {element.get('id', '')}"):
            element.drop_tree()
    heading = " ".join(h.text_content() for h in doc.xpath("//h1|//h2")[:3])
    body = doc.find("body")
    area = " ".join((body if body is not None else doc).itertext())
    return Text(fold(title), fold(heading), fold(area), password)


# Markers that only challenge pages carry, looked for in the lower-cased raw markup (scripts
# included) as plain substrings: a regular expression over 50 KB costs milliseconds. The bare
# "/cdn-cgi/challenge-platform/scripts/jsd/" script rides on ordinary Cloudflare pages, so only
# the challenge's own pieces count.
CHALLENGE_MARKERS = (
    ("cloudflare-challenge", ("_cf_chl_opt", "cf-chl-", "cf_chl_", "/orchestrate/chl_page",
                              "/orchestrate/managed", "cf-browser-verification")),
    ("captcha", ("tmd_____/punish", "x5secdata", "nc_1_n1z", '"action":"captcha"',
                 '"action": "captcha"')),
)
CHALLENGE_TITLES = (
    ("cloudflare-challenge", ("just a moment...", "attention required! | cloudflare")),
    ("captcha", ("captcha", "security check", "human verification", "xác minh",
                 "are you a robot")),
)
# Widgets that appear on challenge pages but also in ordinary forms: weak evidence.
CAPTCHA_WIDGET = re.compile(
    r"class\s*=\s*[\"'][^\"']*\b(?:g-recaptcha|h-captcha|cf-turnstile|geetest_)|"
    r"id\s*=\s*[\"'](?:captcha_container|captcha-verify)", re.I)


def challenge(html: str) -> tuple[str, str] | None:
    """(rule, quoted marker) when the markup is an anti-bot challenge page."""
    lower = html.lower()
    for rule, markers in CHALLENGE_MARKERS:
        for marker in markers:
            if marker in lower:
                return rule, marker
    title = fold(page_title(html) or "")
    for rule, words in CHALLENGE_TITLES:
        for word in words:
            if word in title:
                return rule, f"title {title[:60]!r}"
    return None
