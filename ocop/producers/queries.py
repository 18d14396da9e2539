"""The producer list and search."""

from sqlalchemy import Select, select

from ..models import Producer
from ..text import search_terms


def producer_list(q: str = "", commune: str = "", kind: str = "") -> Select:
    """Producers matching the search words (diacritics ignored), by name."""
    query = select(Producer)
    for term in search_terms(q):
        query = query.where(Producer.search_text.contains(term, autoescape=True))
    if commune:
        query = query.where(Producer.commune == commune)
    if kind:
        query = query.where(Producer.kind == kind)
    return query.order_by(Producer.name, Producer.id)
