"""Vietnamese-aware text folding, so that searches and headers ignore diacritics and case."""

import unicodedata

# "đ" has no decomposition; Telex typists write it "dd", and "dd" contains "d", so folding it to
# "dd" lets both "dd" and "d" find it.
_SPECIAL = str.maketrans({"đ": "dd", "Đ": "dd"})


def fold(text: str | None) -> str:
    """Lower-case `text` without diacritics and with single spaces: "Nước Mắm" -> "nuoc mam"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search box entry; each must match."""
    return fold(query).split()
