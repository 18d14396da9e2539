"""Vietnamese-aware text folding, so that searches and headers ignore diacritics and case."""

import re
import unicodedata

from markupsafe import Markup, escape

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


# After a run of the separators of addresses and codes: where a long one may wrap (not before
# a space, where text wraps anyway).
_BREAK = re.compile(r"(?<=[/?&=#.,_~:-])(?![/?&=#.,_~:-]|\s)")


def breakable(value) -> Markup:
    """`value`, escaped, with a line-break opportunity (<wbr>) after each run of separators
    ("/", "?", "&", "-", "."…), so a long address or code wraps between its parts on a narrow
    screen instead of in the middle of one, or not at all."""
    return Markup("<wbr>").join(escape(part) for part in _BREAK.split(str(value)) if part)


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search box entry; each must match."""
    return fold(query).split()
