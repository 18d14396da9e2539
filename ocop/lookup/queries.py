"""The look-up's search: product code or name, or producer name, diacritics ignored."""

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import contains_eager, selectinload, with_loader_criteria

from ..models import Listing, Producer, Product
from ..text import search_terms


def lookup(q: str) -> Select:
    """Products whose code, name or producer's name holds every word of `q`, with their
    approved listings loaded in one more query."""
    query = (select(Product).join(Product.producer)
             .options(contains_eager(Product.producer),
                      selectinload(Product.listings).joinedload(Listing.marketplace),
                      with_loader_criteria(Listing, Listing.approved)))
    for term in search_terms(q):
        matches = Product.search_text.contains(term, autoescape=True)
        if any(c.isalpha() for c in term):
            # A producer's folded text also holds its tax code: a number typed here must not
            # tell the public which producer a tax code belongs to.
            matches = or_(matches, Producer.search_text.contains(term, autoescape=True))
        query = query.where(matches)
    return query.order_by(Product.name, Product.id)
