"""Cell values: spreadsheet guards, dates, stars, product groups and producer kinds."""

import re
import unicodedata
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl.utils.datetime import from_excel

from ..models import CATEGORIES, PRODUCER_KINDS
from ..text import fold
from .headers import key

# A spreadsheet runs a cell that starts with one of these (OWASP "CSV injection").
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


class CellError(ValueError):
    """A value that cannot be read; the message is already in the user's language."""


def needs_guard(text: str) -> bool:
    """Whether a spreadsheet could run `text`, once any guard apostrophes are looked past."""
    return text.lstrip("'").startswith(DANGEROUS)


def guard(value):
    """A text made inert for spreadsheets by a leading apostrophe; `unguard` takes it off."""
    if isinstance(value, str) and needs_guard(value):
        return "'" + value
    return value


def unguard(text: str) -> str:
    """The text before `guard`: one apostrophe less when it was put there as a guard."""
    if text.startswith("'") and needs_guard(text[1:]):
        return text[1:]
    return text


def is_formula(value) -> bool:
    """A formula cell: openpyxl (data_only=False) shows it, like a CSV cell, as "=…"."""
    return isinstance(value, str) and value.startswith("=")


def text(value) -> str:
    """A cell as trimmed NFC text; whole numbers lose the ".0" a spreadsheet gives them."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return unguard(unicodedata.normalize("NFC", str(value)).strip())


_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"), (3, 2, 1)),  # dd/mm/yyyy
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]+)?$"), (1, 2, 3)),  # ISO
)


def parse_date(value) -> date | None:
    """A date from a date cell, an Excel serial number or dd/mm/yyyy text; None when empty."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serial numbers run from 1900 to 9999
            return from_excel(value).date()
        raise CellError(_("Ngày không hợp lệ; hãy ghi theo dạng dd/mm/yyyy."))
    raw = text(value)
    if not raw:
        return None
    for pattern, (y, m, d) in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            try:
                return date(int(match[y]), int(match[m]), int(match[d]))
            except ValueError:
                break
    raise CellError(_("Ngày không hợp lệ; hãy ghi theo dạng dd/mm/yyyy."))


def parse_stars(value) -> int:
    """3, 4 or 5 from a number, "4", "4 sao" or "★★★★"."""
    raw = text(value)
    if raw and set(raw) <= {"★", "*"}:
        raw = str(len(raw))
    match = re.fullmatch(r"(\d+)(?:[.,]0+)?\s*(?:sao|stars?|★)?", fold(raw))
    if not match:
        raise CellError(_("Số sao phải từ 3 đến 5."))
    stars = int(match[1])
    if stars not in (3, 4, 5):
        raise CellError(_("Số sao phải từ 3 đến 5."))
    return stars


# The older groups of Decision 1048/QĐ-TTg (2019), by the group of Decision 148 they fall into.
OLD_CATEGORIES = {
    "Thực phẩm": 1,
    "Đồ uống": 2,
    "Thảo dược": 3,
    "Vải và may mặc": 4,
    "Lưu niệm - nội thất - trang trí": 4,
    "Dịch vụ du lịch nông thôn, bán hàng": 6,
}
KIND_WORDS = {
    "htx": "htx", "hop tac xa": "htx", "cooperative": "htx",
    "doanh nghiep": "doanh_nghiep", "dn": "doanh_nghiep", "cong ty": "doanh_nghiep",
    "enterprise": "doanh_nghiep", "company": "doanh_nghiep",
    "ho kinh doanh": "ho_kinh_doanh", "hkd": "ho_kinh_doanh",
    "household business": "ho_kinh_doanh",
    "to hop tac": "to_hop_tac", "tht": "to_hop_tac", "cooperative group": "to_hop_tac",
}

# The words of KIND_WORDS that, in a producer's name, say its kind: "HTX Bưởi Múc", "Công ty Cổ
# phần Phong Hải", "Tổ hợp tác Lê Nậm Pung", "Hộ kinh doanh …". Longest first, so "to hop tac"
# wins over a shorter word at the same place.
_KIND_IN_NAME = re.compile(r"\b(" + "|".join(sorted(
    ("htx", "hop tac xa", "to hop tac", "tht", "cong ty", "doanh nghiep", "ho kinh doanh",
     "hkd"), key=len, reverse=True)) + r")\b")


def kind_in_name(name: str) -> str | None:
    """The kind a producer's name says by its first kind word; None when it says none."""
    found = _KIND_IN_NAME.search(key(name))
    return KIND_WORDS[found.group(1)] if found else None


def vietnamese(label) -> str:
    """A lazily translated label in Vietnamese, the workbook's language, whatever the user's."""
    with force_locale("vi"):
        return str(label)


class Vocabulary:
    """The names a workbook may give product groups and producer kinds; build once per file."""

    def __init__(self):
        self.categories = {key(name): number for name, number in OLD_CATEGORIES.items()}
        self.kinds = {**KIND_WORDS, **{key(kind): kind for kind in PRODUCER_KINDS}}
        for number, label in CATEGORIES.items():
            self.categories[key(vietnamese(label))] = number
            self.categories[key(str(label))] = number  # the label as the user sees it
        for kind, label in PRODUCER_KINDS.items():
            self.kinds[key(vietnamese(label))] = kind
            self.kinds[key(str(label))] = kind

    def category(self, value) -> int:
        """A product group from its number 1–6 or its name under Decision 148 or 1048."""
        raw = text(value)
        match = re.fullmatch(r"(\d+)(?:[.,]0+)?(?:\s*[-.:)]\s*.*)?", raw)
        if match:  # "3" or "3 - Dược liệu…"
            if int(match[1]) in CATEGORIES:
                return int(match[1])
        elif (number := self.categories.get(key(raw))) is not None:
            return number
        raise CellError(_("Không có nhóm sản phẩm “%(value)s”; hãy ghi số 1–6 hoặc tên "
                          "nhóm theo Quyết định 148/QĐ-TTg.", value=raw))

    def kind(self, value) -> str | None:
        """A producer kind from its key, its label or the usual short forms; None when empty."""
        raw = text(value)
        if not raw:
            return None
        words = key(raw)
        if words in self.kinds:
            return self.kinds[words]
        # "Công ty TNHH …", "Doanh nghiệp tư nhân …": the first words say what it is.
        if words.startswith(("cong ty ", "doanh nghiep ")):
            return "doanh_nghiep"
        raise CellError(_("Không rõ loại hình chủ thể “%(value)s”; hãy ghi Hợp tác xã, "
                          "Doanh nghiệp, Hộ kinh doanh hoặc Tổ hợp tác.", value=raw))
