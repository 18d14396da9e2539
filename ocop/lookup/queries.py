"""The look-up's search: product code or name, or producer name, diacritics ignored."""

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, selectinload, with_loader_criteria

from ..models import Listing, Product
from ..search import product_search


def lookup(q: str) -> Select:
    """Products whose code, name or producer's name holds every word of `q`, with their
    approved listings loaded in one more query."""
    query = (select(Product).join(Product.producer)
             .options(contains_eager(Product.producer),
                      selectinload(Product.listings).joinedload(Listing.marketplace),
                      with_loader_criteria(Listing, Listing.approved)))
    # The public page: the search never reads a producer's tax code (ocop.search).
    return query.where(*product_search(q)).order_by(Product.name, Product.id)
