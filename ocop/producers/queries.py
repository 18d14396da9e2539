"""The producer list and search."""

from sqlalchemy import Select, func, select

from ..extensions import db
from ..models import Producer, Product
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


def product_counts(producer_ids: list[int]) -> dict[int, int]:
    """How many products each producer has, in one query."""
    rows = db.session.execute(select(Product.producer_id, func.count()).where(
        Product.producer_id.in_(producer_ids)).group_by(Product.producer_id))
    return {producer_id: count for producer_id, count in rows}
