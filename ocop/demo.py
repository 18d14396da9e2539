"""Sample data for trying the tracker: real Lào Cai OCOP products and producers (decision
4261/QĐ-UBND, 2021, and the 2024 five-star products), with ILLUSTRATIVE codes, dates, communes,
contacts and marketplace listings. Everything this loads is labelled as sample data."""

from datetime import date

from flask import current_app
from sqlalchemy import select

from . import sample_attestation, sample_history, sample_markets
from .extensions import db
from .listings.resolve import Resolver
from .models import Listing, Marketplace, MarketplaceHost, Producer, Product, User
from .products.operations import default_expiry
from .sample_markets import SAMPLE

# Sample accounts for trying the roles; the README prints them. Never use them in production.
DEMO_PASSWORD = "ocop-demo-2026"
DEMO_ACCOUNTS = (("canbo@demo.ocop.vn", "officer", None),
                 ("htx.huongtam@demo.ocop.vn", "producer", "ht"))

# name, kind, commune, tax code (illustrative)
PRODUCERS = {
    "bm": ("HTX Bưởi Múc Thái Niên", "htx", "Bảo Thắng", None),
    "ph": ("Công ty Cổ phần Phong Hải Lào Cai", "doanh_nghiep", "Phong Hải", "5300000101"),
    "mn": ("HTX Minh Ngọc", "htx", "Bảo Thắng", None),
    "sh": ("HTX sản xuất nông nghiệp công nghệ cao Sơn Hải", "htx", "Bảo Hà", None),
    "gp": ("HTX chế biến thực phẩm sạch Gia Phú", "htx", "Gia Phú", "5300000102"),
    "np": ("Tổ hợp tác Lê Nậm Pung", "to_hop_tac", "Bản Liền", None),
    "ht": ("HTX chè Hướng Tâm", "htx", "Bắc Hà", "5300000103"),
    "mt": ("HTX Mản Thẩn", "htx", "Si Ma Cai", None),
    "qt": ("HTX Quang Tom", "htx", "Bắc Hà", None),
    "smc": ("HTX Nông nghiệp và Thương mại Si Ma Cai", "htx", "Si Ma Cai", None),
    "nl": ("Tổ hợp tác sản xuất Cốm thôn Na Lo", "to_hop_tac", "Sa Pa", None),
    "nd": ("HTX Quế hữu cơ Nậm Đét", "htx", "Bắc Hà", None),
    "sho": ("HTX Sơn Hòa", "htx", "Mường Khương", "5300000104"),
    "tt": ("HTX nông lâm nghiệp Thế Tuấn", "htx", "Bảo Yên", None),
    "lp": ("HTX Nông nghiệp công nghệ cao Lùng Phình", "htx", "Bắc Hà", None),
    "tra": ("Công ty TNHH MTV Traphaco Sa Pa", "doanh_nghiep", "Sa Pa", "5300000105"),
}

# code, name, producer, category (148/QĐ-TTg), stars, decision, certified on
PRODUCTS = [
    ("LC-2021-01", "Quả bưởi Múc", "bm", 1, 4, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-02", "Phong Hải Danh Trà – Trà hoa sen", "ph", 2, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-03", "Phong Hải Danh Trà – Trà hoa nhài", "ph", 2, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-04", "Quả nhãn Phong Niên", "mn", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-05", "Chuối Ngự An Tiến", "sh", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-06", "Lạp sườn Gia Phú", "gp", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-07", "Thịt ba chỉ sấy Gia Phú", "gp", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-08", "Lê Nậm Pung", "np", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-09", "Chè Bát tiên Hướng Tâm", "ht", 2, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-10", "Quả mận Tả Van Si Ma Cai", "mt", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-11", "Quả lê Si Ma Cai", "mt", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-12", "Mận Tam hoa sấy dẻo", "qt", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-13", "Trứng vịt Sín Chéng", "smc", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-14", "Cốm Na Lo", "nl", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-15", "Tinh dầu quế Nậm Đét", "nd", 3, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-16", "Khẩu nhục Sơn Hòa", "sho", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-17", "Ruốc lợn bản Sơn Hòa", "sho", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-18", "Thịt lợn bản Mường Khương", "sho", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-19", "Tinh dầu Đại Từ Bi", "tt", 3, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2021-20", "Cải Kale Bắc Hà", "lp", 1, 3, "4261/QĐ-UBND", date(2021, 12, 20)),
    ("LC-2024-01", "Cao mềm actiso Sa Pa", "tra", 3, 5, "QĐ TW 2024 (minh hoạ)", date(2024, 10, 15)),
    ("LC-2024-02", "Trà phun sương actiso Sa Pa", "tra", 2, 5, "QĐ TW 2024 (minh hoạ)", date(2024, 10, 15)),
]
# Products re-assessed in 2024 (đánh giá lại): illustrative new certificate dates.
REASSESSED = {"LC-2021-01", "LC-2021-02", "LC-2021-03", "LC-2021-06", "LC-2021-07",
              "LC-2021-09", "LC-2021-12", "LC-2021-15", "LC-2021-16", "LC-2021-17"}

def load_demo() -> bool:
    """Load the sample data unless it is there already: the registry, the sample marketplaces
    (on OCOP_SAMPLE_MARKETS_PORT and the next ports) with their listings, two years of
    sample history, and an officer's attestation of the listing behind a captcha; True when it
    was loaded."""
    markets_port = int(current_app.config["SAMPLE_MARKETS_PORT"])
    if db.session.scalar(select(Product.id).where(Product.code == PRODUCTS[0][0])):
        return False
    producers = {}
    for key, (name, kind, commune, tax_code) in PRODUCERS.items():
        producer = Producer(name=name, kind=kind, commune=commune, tax_code=tax_code,
                            province="Lào Cai", address=f"{commune}, Lào Cai — {SAMPLE}")
        producer.refresh_search_text()
        producers[key] = producer
    products = {}
    for code, name, key, category, stars, decision, certified in PRODUCTS:
        if code in REASSESSED:
            certified, decision = date(2024, 11, 28), "2730/QĐ-UBND (minh hoạ)"
        product = Product(code=code, name=name, producer=producers[key], category=category,
                          stars=stars, decision_no=decision, certified_on=certified,
                          expires_on=default_expiry(certified))
        product.refresh_search_text()
        products[code] = product
    db.session.add_all(products.values())
    for market in sample_markets.MARKETS:
        host = f"{sample_markets.HOST}:{sample_markets.port_of(market, markets_port)}"
        db.session.add(Marketplace(name=market.name, slug=market.slug, adapter=market.adapter,
                                   fetch=market.fetch, concurrency=4, min_interval=0.1,
                                   hosts=[MarketplaceHost(host=host)]))
    db.session.flush()
    resolver = Resolver()
    listings = []
    for shelf in sample_markets.SHELVES:
        marketplace, parsed = resolver.resolve(sample_markets.url_of(shelf, markets_port))
        listing = Listing(product=products[shelf.code], marketplace=marketplace,
                          url=parsed.entered, canonical_url=parsed.canonical,
                          item_id=parsed.item_id)
        db.session.add(listing)
        listings.append((listing, shelf))
    for email, role, key in DEMO_ACCOUNTS:
        user = User(email=email, role=role, producer=producers.get(key), name=SAMPLE)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    db.session.commit()
    sample_history.write(listings)
    officer = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0][0]))
    walled_off, shelf = next((listing, shelf) for listing, shelf in listings
                             if shelf.kind == "captcha")
    sample_attestation.attest(walled_off, shelf, officer)
    return True
