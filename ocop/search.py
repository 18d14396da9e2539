"""The one rule for what a product search may match, shared by the look-up, the product list
and the API: a producer's tax code answers only to officers."""

from sqlalchemy import ColumnElement, case, func, literal, or_

from .models import Producer, Product
from .text import search_terms


def producer_public_text() -> ColumnElement[str]:
    """The producer's folded name without its tax code, in SQL.

    `Producer.search_text` is fold(name + " " + tax_code), so the name is all but the last
    len(tax_code) + 1 characters. A valid tax code (ten digits, maybe -three more) folds to
    itself, so the cut is exact; an odd imported one that folds shorter cuts a little of the
    name, never lets any of the code through."""
    text, code = Producer.search_text, func.coalesce(Producer.tax_code, "")
    keep = func.length(text) - func.length(code) - 1
    return case((code == "", text), (keep > 0, func.substr(text, 1, keep)), else_=literal(""))


def product_search(q: str | None, private: bool = False) -> list[ColumnElement[bool]]:
    """One condition per word of `q`: the product's code or name, or its producer's name, holds
    it (diacritics and case ignored). Only a `private` search (an officer's) also reads the
    producer's tax code: anyone else must learn nothing about which producer holds a code,
    not even that one exists. The query must join Product.producer."""
    producer = Producer.search_text if private else producer_public_text()
    return [or_(Product.search_text.contains(term, autoescape=True),
                producer.contains(term, autoescape=True))
            for term in search_terms(q)]

