"""The workbook's two tables: their sheet names and column headers, Vietnamese first."""

import re
from functools import lru_cache

from ..text import fold

PRODUCTS, LISTINGS = "products", "listings"

# Per table: field -> its Vietnamese header (written on export), then the aliases accepted.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    PRODUCTS: {
        "code": ("Mã sản phẩm", "Mã SP", "code", "product code"),
        "name": ("Tên sản phẩm", "Tên SP", "name", "product name", "product"),
        "producer": ("Chủ thể", "Tên chủ thể", "producer", "producer name"),
        "producer_kind": ("Loại hình chủ thể", "Loại hình", "producer kind", "kind"),
        "tax_code": ("Mã số thuế", "MST", "tax code"),
        "commune": ("Xã/Phường", "Xã", "Phường", "commune", "ward"),
        "province": ("Tỉnh", "Tỉnh/Thành phố", "province"),
        "category": ("Nhóm sản phẩm", "Nhóm", "category", "group", "product group"),
        "stars": ("Số sao", "Hạng sao", "Sao", "stars", "star rating", "rating"),
        "decision_no": ("Số quyết định", "Quyết định", "decision no", "decision number",
                        "decision"),
        "certified_on": ("Ngày công nhận", "Ngày quyết định", "certified on",
                         "certification date", "certified"),
        "expires_on": ("Ngày hết hạn", "Hết hạn", "expires on", "expiry date", "expires"),
    },
    LISTINGS: {
        "code": ("Mã sản phẩm", "Mã SP", "code", "product code"),
        "marketplace": ("Sàn", "Sàn thương mại điện tử", "marketplace"),
        "url": ("Đường dẫn", "Liên kết", "Link", "url", "address"),
        # Written on export for the reader's sake; an import ignores them.
        "status": ("Tình trạng", "status"),
        "last_checked_at": ("Kiểm tra lần cuối", "last checked", "last checked at"),
    },
}
REQUIRED = {
    PRODUCTS: ("code", "name", "producer", "category", "stars", "certified_on"),
    LISTINGS: ("code", "url"),
}
IGNORED = {PRODUCTS: frozenset(), LISTINGS: frozenset({"status", "last_checked_at"})}
SHEET_NAMES = {PRODUCTS: ("Sản phẩm", "products"), LISTINGS: ("Gian hàng", "listings")}


@lru_cache(maxsize=16384)  # the same producer and marketplace names come back row after row
def key(text) -> str:
    """A name as compared: no case, no diacritics, no punctuation.

    "đ" folds to "dd" for searches; here "d" must match it too, so both become "d"."""
    folded = fold(str(text) if text is not None else "").replace("dd", "d")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", folded).split())


_FIELD_BY_KEY = {table: {key(alias): field for field, aliases in columns.items()
                         for alias in aliases}
                 for table, columns in COLUMNS.items()}
_TABLE_BY_SHEET = {key(name): table for table, names in SHEET_NAMES.items() for name in names}


def header(table: str, field: str) -> str:
    """The Vietnamese header of `field`."""
    return COLUMNS[table][field][0]


def field_of(table: str, text) -> str | None:
    """The field a header names in `table`, or None for a column the importer does not know."""
    return _FIELD_BY_KEY[table].get(key(text))


def table_of_sheet(name: str) -> str | None:
    """The table a sheet holds, judged by its name."""
    return _TABLE_BY_SHEET.get(key(name))


def table_of_headers(cells) -> str | None:
    """The table a header row belongs to, judged by its columns (a CSV file has no sheet name)."""
    listing_fields = {field_of(LISTINGS, c) for c in cells}
    if "url" in listing_fields:
        return LISTINGS
    product_fields = {field_of(PRODUCTS, c) for c in cells}
    if {"name", "producer"} & product_fields:
        return PRODUCTS
    return None
