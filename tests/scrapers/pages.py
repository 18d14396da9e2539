"""Imitation marketplace pages and API bodies for the scraper tests.

Pages come with realistic chrome around the product: a header and nav, a footer, inline
scripts and a "related products" grid, all carrying words that would mislead a careless
reader ("Hết hàng" in the grid, "Sản phẩm không tồn tại" in a script's messages).
"""

import json

NAME = "Trà hoa sen Phong Hải Danh Trà"
PRICE = 290000

# The words a careless reader would trip on, outside the product area.
_HEADER = """<header class="site-header"><a href="/">Trang chủ</a> <a href="/login">Đăng nhập</a>
<form action="/search"><input name="q" placeholder="Tìm kiếm"></form></header>
<nav><a href="/c/het-hang">Hết hàng sắp về</a> <a href="/c/moi">Mua ngay hàng mới</a></nav>"""
_SCRIPT = """<script>window.__i18n = {"notFound": "Sản phẩm không tồn tại", "oos": "Hết hàng",
"human": "Verify you are human", "buy": "Mua ngay"};</script>
<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script>"""
_FOOTER = """<footer><p>Sản phẩm hết hàng? Liên hệ 1900 1234. Page not found? Trang không tồn tại
thì quay lại trang chủ.</p><p>© Sàn thử nghiệm</p></footer>"""


def related(count: int = 8) -> str:
    """A grid of other products, one of them sold out, each with a buy button."""
    cards = "".join(
        f'<div class="card"><a href="/sp/khac-{i}">Sản phẩm khác số {i}</a>'
        f'<span class="price">{100 + i}.000 ₫</span>'
        f'<span>{"Hết hàng" if i == 3 else "Mua ngay"}</span></div>'
        for i in range(count))
    return f'<section class="related-products"><h3>Sản phẩm liên quan</h3>{cards}</section>'


def document(main: str, *, title: str = NAME, head: str = "", size: int = 0,
             chrome: bool = True) -> str:
    """A whole page around `main`, padded with product description to about `size` bytes."""
    parts = [_HEADER, f"<main>{main}</main>", related(), _FOOTER, _SCRIPT] if chrome else [main]
    body = "\n".join(parts)
    padding = ""
    if size:
        line = ("<p>Trà được ướp từ hoa sen Tây Hồ, đóng gói thủ công, hương thơm dịu, "
                "vị chát nhẹ, hậu ngọt; bảo quản nơi khô ráo, tránh ánh nắng.</p>\n")
        missing = max(0, size - len(body.encode()) - len(head.encode()) - 300)
        padding = f'<div class="description">{line * (missing // len(line.encode()) + 1)}</div>'
    return (f'<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
            f"<title>{title}</title>{head}</head>\n<body>{body}{padding}</body></html>\n")


def jsonld(data) -> str:
    """A JSON-LD script block."""
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def offer(availability: str = "InStock", price=PRICE, prefix: str = "https://schema.org/") -> dict:
    """A schema.org Offer."""
    return {"@type": "Offer", "price": price, "priceCurrency": "VND",
            "availability": f"{prefix}{availability}"}


def product(availability: str | None = "InStock", *, name: str = NAME, price=PRICE,
            offers=None) -> dict:
    """A schema.org Product with one offer (or the given `offers`)."""
    data = {"@context": "https://schema.org", "@type": "Product", "name": name, "sku": "TS-01"}
    if offers is not None:
        data["offers"] = offers
    elif availability is not None:
        data["offers"] = offer(availability, price)
    return data


def product_page(availability: str | None = "InStock", *, size: int = 0, **kwargs) -> str:
    """A product page whose JSON-LD says `availability` and whose text agrees."""
    button = "Thêm vào giỏ hàng" if availability in (None, "InStock") else "Tạm hết hàng"
    main = (f'<h1>{NAME}</h1><div class="price">290.000 ₫</div>'
            f'<button class="buy">{button}</button>')
    return document(main, head=jsonld(product(availability, **kwargs)), size=size)


def og_page(availability: str, *, kind: str = "product") -> str:
    """A page that speaks only OpenGraph."""
    head = (f'<meta property="og:type" content="{kind}">'
            f'<meta property="og:title" content="{NAME}">'
            f'<meta property="product:price:amount" content="290000">'
            f'<meta property="product:price:currency" content="VND">'
            f'<meta property="product:availability" content="{availability}">')
    return document(f"<h1>{NAME}</h1>", head=head)


def microdata_page(availability: str) -> str:
    """A page that speaks only schema.org microdata."""
    main = (f'<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">{NAME}'
            f'</h1><div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            f'<meta itemprop="price" content="290000"><meta itemprop="priceCurrency" '
            f'content="VND"><link itemprop="availability" href="https://schema.org/'
            f'{availability}"></div></div>')
    return document(main)


def phrase_page(phrase: str, *, title: str = NAME) -> str:
    """A page with no structured data whose product area says `phrase`."""
    return document(f'<h1>{NAME}</h1><div class="price">290.000 ₫</div><div class="status">'
                    f"{phrase}</div>", title=title)


def soft_404_page() -> str:
    """A 200 page saying the product does not exist, with no product entity."""
    return document('<div class="error"><h1>Rất tiếc!</h1><p>Sản phẩm không tồn tại hoặc đã bị '
                    'gỡ khỏi gian hàng.</p><a href="/">Quay lại trang chủ</a></div>',
                    title="Không tìm thấy")


def home_page() -> str:
    """A marketplace home page: many products with buy buttons."""
    return document("<h1>Chào mừng</h1>" + related(20), title="Sàn thử nghiệm – Trang chủ")


def search_page() -> str:
    """A search results page."""
    return document("<h1>Kết quả tìm kiếm</h1>" + related(12), title="Tìm kiếm: trà sen")


def shell_page() -> str:
    """An app shell: scripts and an empty mount point, as Shopee serves to bots."""
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Shopee Việt Nam | Mua và '
            'Bán Trên Ứng Dụng Di Động Hoặc Website</title>'
            '<script src="/assets/bundle.js"></script>' + _SCRIPT +
            '</head><body><div id="main"></div><noscript>Bật JavaScript</noscript>'
            '</body></html>')


def captcha_page() -> str:
    """A captcha interstitial served with status 200."""
    return document('<div class="verify"><h2>Xác minh bạn không phải là robot</h2>'
                    '<div class="g-recaptcha" data-sitekey="x"></div></div>',
                    title="Xác minh bảo mật", chrome=False)


def cloudflare_page() -> str:
    """Cloudflare's "Just a moment..." challenge."""
    return ("<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>"
            "<meta http-equiv=\"refresh\" content=\"390\"></head><body><div class=\"main\">"
            "<h1>voso.vn</h1><p>Verifying you are human. This may take a few seconds.</p>"
            "</div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'voso.vn'};"
            "var a=document.createElement('script');a.src='/cdn-cgi/challenge-platform/h/b/"
            "orchestrate/chl_page/v1?ray=1';document.head.appendChild(a);}());</script>"
            "</body></html>")


def punish_page() -> str:
    """Lazada's slider captcha ("punish") page."""
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Lazada.vn</title></head>'
            '<body><div id="nocaptcha"><span id="nc_1_n1z" class="nc_iconfont btn_slide">'
            '</span></div><script>window._config_ = {"action":"captcha","url":"/_____tmd_____'
            '/punish?x5secdata=abc"};</script></body></html>')


def login_page() -> str:
    """A login wall answered in place of the listing, with status 200."""
    return document('<form class="login" method="post"><h1>Đăng nhập</h1><p>Vui lòng đăng '
                    'nhập để xem sản phẩm.</p><input name="email"><input type="password" '
                    'name="pw"><button>Đăng nhập</button></form>', title="Đăng nhập",
                    chrome=False)


def truncated_page() -> str:
    """A live page cut off in the middle of its JSON-LD."""
    page = product_page("InStock")
    return page[:page.index('"availability"')]


def lazada_page(stock: int, *, price: int = PRICE) -> str:
    """A Lazada product page whose only product data is the module JSON."""
    data = {"data": {"root": {"fields": {
        "product": {"title": NAME},
        "skuInfos": {"0": {"stock": stock, "price": {"salePrice": {"text": "₫290.000",
                                                                  "value": price}}},
                     "1": {"stock": 0, "price": {"salePrice": {"value": price + 10000}}}},
    }}}}
    script = f"<script>var __moduleData__ = {json.dumps(data, ensure_ascii=False)};</script>"
    return document(f'<div id="root"></div>{script}', title=f"{NAME} | Lazada.vn",
                    chrome=False)


def shopee_item(stock: int = 12, *, price: int = PRICE, status: str = "normal") -> dict:
    """Shopee's item API answer (prices are VND × 100000)."""
    return {"error": None, "error_msg": None, "data": {
        "itemid": 456, "shopid": 123, "name": NAME, "price": price * 100000,
        "price_min": price * 100000, "stock": stock, "item_status": status}}


def shopee_error(code: int = 90309999) -> dict:
    """Shopee's anti-bot answer: HTTP 200 with an error code and no data."""
    return {"error": code, "error_msg": None, "data": None}


def tiki_product(inventory_status: str = "available", *, price: int = PRICE) -> dict:
    """Tiki's product API answer."""
    return {"id": 789, "name": NAME, "price": price, "list_price": price + 40000,
            "inventory_status": inventory_status,
            "current_seller": {"id": 1, "name": "HTX chè Hướng Tâm", "product_id": "11"}}


def tiki_not_found() -> dict:
    """Tiki's API answer for a product id it does not know (shape assumed)."""
    return {"error": {"code": 404, "message": "Không tìm thấy sản phẩm"}}
