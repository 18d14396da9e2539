"""A deterministic, province-sized sample registry: producers, products and listings.

SAMPLE DATA, generated for benchmarks: the names are built from real Lào Cai place names and
product types, but no product, producer, tax code or listing URL here is real.

    python -m bench.dataset workbook bench/out/ocop-20k.xlsx
    python -m bench.dataset load postgresql://postgres@127.0.0.1:5432/ocop_bench
"""

import argparse
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

PRODUCTS, PRODUCERS, LISTINGS = 20_000, 5_000, 100_000

COMMUNES = (
    "Bắc Hà", "Sa Pa", "Mường Khương", "Si Ma Cai", "Bát Xát", "Văn Bàn", "Bảo Thắng",
    "Bảo Yên", "Nghĩa Lộ", "Mù Cang Chải", "Trạm Tấu", "Lục Yên", "Văn Chấn", "Yên Bình",
    "Thái Niên", "Phong Niên", "Phong Hải", "Gia Phú", "Nậm Pung", "Tả Van", "Sín Chéng",
    "Lùng Phình", "Nậm Đét", "Cốc San", "Bản Phiệt", "Tằng Loỏng", "Xuân Quang", "Phố Lu",
    "Võ Lao", "Khánh Yên", "Hợp Thành", "Tân An", "Cam Đường", "Đồng Tuyển", "Lào Cai",
    "Yên Bái", "Âu Lâu", "Tuy Lộc", "Minh Bảo", "Cường Thịnh",
)
# (product type, its group under Decision 148)
PRODUCT_TYPES = (
    ("Chè Shan tuyết", 2), ("Trà hoa vàng", 2), ("Rượu ngô men lá", 2), ("Trà actiso", 2),
    ("Mật ong bạc hà", 1), ("Gạo Séng Cù", 1), ("Măng khô", 1), ("Lạp sườn gác bếp", 1),
    ("Thịt lợn bản sấy", 1), ("Mận Tam hoa sấy dẻo", 1), ("Bưởi", 1), ("Nhãn", 1),
    ("Chuối ngự", 1), ("Cốm", 1), ("Trứng vịt", 1), ("Miến dong", 1), ("Nấm hương", 1),
    ("Tương ớt", 1), ("Lê", 1), ("Cải Kale", 1), ("Thảo quả khô", 3), ("Tinh dầu quế", 3),
    ("Cao actiso", 3), ("Thuốc tắm người Dao", 3), ("Đông trùng hạ thảo", 3),
    ("Khăn thổ cẩm", 4), ("Túi thêu tay", 4), ("Vòng bạc chạm", 4), ("Mây tre đan", 4),
    ("Lan Hài", 5), ("Đào cảnh", 5), ("Homestay bản", 6), ("Du lịch cộng đồng", 6),
)
VARIANTS = ("", "loại 1", "hộp quà", "túi 500g", "chai 500ml", "hữu cơ", "đặc biệt",
            "truyền thống", "cao cấp", "túi lọc")
NAME_WORDS = ("Minh", "Ngọc", "Hướng Tâm", "Sơn Hải", "Gia Phú", "Quang Tom", "Thế Tuấn",
              "Sơn Hòa", "Mản Thẩn", "Hoàng Liên", "Phú Hưng", "An Tiến", "Thành Công",
              "Tân Tiến", "Đoàn Kết", "Bình Minh", "Hạnh Phúc", "Thịnh Vượng", "Xanh",
              "Nông sản sạch", "Dược liệu", "Chè", "Quế hữu cơ", "Nông lâm nghiệp")
KINDS = (("htx", "HTX", 0.56), ("doanh_nghiep", "Công ty TNHH", 0.08),
         ("ho_kinh_doanh", "Hộ kinh doanh", 0.29), ("to_hop_tac", "Tổ hợp tác", 0.07))
KIND_LABELS = {"htx": "Hợp tác xã", "doanh_nghiep": "Doanh nghiệp",
               "ho_kinh_doanh": "Hộ kinh doanh", "to_hop_tac": "Tổ hợp tác"}
CATEGORY_NAMES = {1: "Thực phẩm", 2: "Đồ uống", 3: "Dược liệu và sản phẩm từ dược liệu",
                  4: "Hàng thủ công mỹ nghệ", 5: "Sinh vật cảnh",
                  6: "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch"}
STATUSES = (("active", 0.6), ("out_of_stock", 0.1), ("removed", 0.05), ("blocked", 0.05),
            ("unknown", 0.05), (None, 0.15))


@dataclass
class Data:
    """The generated registry, as plain rows."""

    producers: list[dict]
    products: list[dict]
    listings: list[dict]


def slug(text: str) -> str:
    """A URL slug without diacritics."""
    from ocop.text import fold

    return "-".join(fold(text).replace("dd", "d").split())


def listing_url(marketplace: str, name: str, n: int) -> str:
    """A listing URL in the marketplace's shape, with item number `n` (unique per listing)."""
    s = slug(name)
    return {
        "shopee": f"https://shopee.vn/{s}-i.{1000 + n % 997}.{2_000_000 + n}",
        "tiki": f"https://tiki.vn/{s}-p{3_000_000 + n}.html",
        "lazada": f"https://www.lazada.vn/products/{s}-i{4_000_000 + n}-s{9_000_000 + n}.html",
        "postmart": f"https://postmart.vn/p/{s}-{5_000_000 + n}.html",
        "voso": f"https://voso.vn/{s}-p{6_000_000 + n}.html",
        "sendo": f"https://www.sendo.vn/{s}-{7_000_000 + n}.html",
        "tiktok": f"https://shop.tiktok.com/view/product/{8_000_000 + n}?region=VN",
    }[marketplace]


MARKETPLACES = ("shopee", "tiki", "lazada", "postmart", "voso", "sendo", "tiktok")
MARKETPLACE_NAMES = {"shopee": "Shopee", "tiki": "Tiki", "lazada": "Lazada",
                     "postmart": "Postmart", "voso": "Voso", "sendo": "Sendo",
                     "tiktok": "TikTok Shop"}


def generate(products: int = PRODUCTS, producers: int = PRODUCERS, listings: int = LISTINGS,
             seed: int = 2025) -> Data:
    """The same registry for the same arguments, every time."""
    rng = random.Random(seed)
    producer_rows = []
    for n in range(producers):
        kind, prefix, _weight = rng.choices(KINDS, weights=[k[2] for k in KINDS])[0]
        commune = rng.choice(COMMUNES)
        name = f"{prefix} {rng.choice(NAME_WORDS)} {commune} {n + 1}"
        producer_rows.append({
            "name": name, "kind": kind, "commune": commune, "province": "Lào Cai",
            # Most producers have a tax code; household businesses often do not.
            "tax_code": None if kind == "ho_kinh_doanh" and n % 3 else f"53{n + 10_000_000:08d}",
        })
    product_rows = []
    for n in range(products):
        kind_name, category = rng.choice(PRODUCT_TYPES)
        producer = n % producers if n < producers else rng.randrange(producers)
        commune = producer_rows[producer]["commune"]
        name = " ".join(filter(None, (kind_name, commune, rng.choice(VARIANTS))))
        certified = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 6 * 365))
        stars = rng.choices((3, 4, 5), weights=(80, 17, 3))[0]
        product_rows.append({
            "code": f"LC-{n + 1:05d}", "name": name, "producer": producer,
            "category": category, "stars": stars,
            "decision_no": f"{rng.randrange(100, 5000)}/QĐ-UBND",
            "certified_on": certified, "expires_on": None if n % 4 else
            certified + timedelta(days=3 * 365 - 1),
        })
    listing_rows = []
    for n in range(listings):
        product = n % products
        marketplace = MARKETPLACES[(n // products + product) % len(MARKETPLACES)]
        status = rng.choices([s for s, _w in STATUSES], weights=[w for _s, w in STATUSES])[0]
        listing_rows.append({"product": product, "marketplace": marketplace,
                             "url": listing_url(marketplace, product_rows[product]["name"], n),
                             "status": status})
    return Data(producer_rows, product_rows, listing_rows)


def write_workbook(data: Data, path: str | Path) -> Path:
    """The registry as the province's workbook, written the way a spreadsheet would be."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sản phẩm")
    sheet.append(["Mã sản phẩm", "Tên sản phẩm", "Chủ thể", "Loại hình chủ thể", "Mã số thuế",
                  "Xã/Phường", "Tỉnh", "Nhóm sản phẩm", "Số sao", "Số quyết định",
                  "Ngày công nhận", "Ngày hết hạn"])

    def day(value):
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "dd/mm/yyyy"
        return cell

    for p in data.products:
        producer = data.producers[p["producer"]]
        sheet.append([p["code"], p["name"], producer["name"], KIND_LABELS[producer["kind"]],
                      producer["tax_code"], producer["commune"], producer["province"],
                      CATEGORY_NAMES[p["category"]], p["stars"], p["decision_no"],
                      day(p["certified_on"]), day(p["expires_on"])])
    sheet = book.create_sheet("Gian hàng")
    sheet.append(["Mã sản phẩm", "Sàn", "Đường dẫn"])
    for n, listing in enumerate(data.listings):
        # Half the rows leave the marketplace to the URL's host, as officers do.
        marketplace = MARKETPLACE_NAMES[listing["marketplace"]] if n % 2 else None
        sheet.append([data.products[listing["product"]]["code"], marketplace, listing["url"]])
    notes = book.create_sheet("Ghi chú")
    notes.append(["Dữ liệu mẫu sinh tự động để đo hiệu năng; không phải dữ liệu thật."])
    book.save(path)
    return path


def load_database(data: Data, uri: str) -> None:
    """Migrate an empty database and load the registry straight into it (no import code)."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from ocop import create_app
    from ocop.audit import acting_as
    from ocop.extensions import db
    from ocop.marketplaces.seed import seed_marketplaces
    from ocop.models import Listing, Marketplace, Producer, Product, add_months, utcnow
    from ocop.text import fold
    from ocop.workbook.apply import analyze

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context(), acting_as("bench"):
        upgrade(directory=app.extensions["migrate"].directory)
        seed_marketplaces()
        db.session.commit()
        now = utcnow()
        stamp = {"version": 1, "created_at": now, "updated_at": now}
        producer_ids = list(db.session.scalars(
            insert(Producer).returning(Producer.id, sort_by_parameter_order=True),
            [{**p, **stamp, "search_text": fold(f"{p['name']} {p['tax_code'] or ''}")}
             for p in data.producers]))
        product_ids = list(db.session.scalars(
            insert(Product).returning(Product.id, sort_by_parameter_order=True),
            [{**{k: v for k, v in p.items() if k != "producer"}, **stamp,
              "producer_id": producer_ids[p["producer"]], "withdrawn": False,
              "expires_on": p["expires_on"] or add_months(p["certified_on"], 36),
              "search_text": fold(f"{p['code']} {p['name']}")} for p in data.products]))
        marketplaces = {m.slug: m for m in db.session.scalars(select(Marketplace))}
        from ocop.listings.resolve import Resolver

        resolver = Resolver()
        rows = []
        for n, listing in enumerate(data.listings):
            _found, parsed = resolver.resolve(listing["url"], marketplaces[listing["marketplace"]])
            seen = listing["status"]
            decisive = seen in ("active", "out_of_stock", "removed")
            # Verified over the last 60 days, so some fall outside the 45-day window (stale).
            verified = now - timedelta(days=n * 7 % 60) if decisive else None
            rows.append({"product_id": product_ids[listing["product"]],
                         "marketplace_id": marketplaces[listing["marketplace"]].id,
                         "url": parsed.entered, "canonical_url": parsed.canonical,
                         "item_id": parsed.item_id, "approved": True,
                         "status": seen if decisive else None, "last_verdict": seen,
                         "verified_at": verified,
                         "last_checked_at": now if seen else None, **stamp})
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Listing), rows[start:start + 5000])
        # As the importer does after a bulk load (ocop.workbook.apply.analyze).
        analyze(Producer, Product, Listing)
        db.session.commit()
        db.engine.dispose()


def size_arguments(parser: argparse.ArgumentParser) -> None:
    """The data set's size options every bench takes."""
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--producers", type=int, default=PRODUCERS)
    parser.add_argument("--listings", type=int, default=LISTINGS)


def main() -> None:
    """Command line: write the workbook, or load a database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("workbook", "load"))
    parser.add_argument("target", help="the .xlsx to write, or the database URL to load")
    size_arguments(parser)
    args = parser.parse_args()
    data = generate(args.products, args.producers, args.listings)
    if args.action == "workbook":
        print(write_workbook(data, args.target))
    else:
        load_database(data, args.target)
        print(f"loaded {len(data.products)} products into {args.target}")


if __name__ == "__main__":
    main()
