"""The marketplaces every registry starts with; their hosts are data officers can change."""

from sqlalchemy import select

from ..extensions import db
from ..models import Marketplace, MarketplaceHost

# (name, slug, adapter, hosts, requests in flight, seconds between two request starts):
# gentle enough for a marketplace to notice nothing, quick enough that a 100,000-listing
# monthly run ends within one night (the arithmetic is in the README).
SEEDED = (
    ("Shopee", "shopee", "shopee", ("shopee.vn", "www.shopee.vn"), 2, 0.5),
    ("Lazada", "lazada", "lazada", ("lazada.vn", "www.lazada.vn"), 2, 1.0),
    ("Tiki", "tiki", "tiki", ("tiki.vn", "www.tiki.vn"), 4, 1.0),
    ("TikTok Shop", "tiktok", "tiktok", ("shop.tiktok.com", "www.tiktok.com"), 1, 2.0),
    ("Sendo", "sendo", "sendo", ("sendo.vn", "www.sendo.vn"), 2, 1.0),
    ("Postmart", "postmart", "postmart", ("postmart.vn", "www.postmart.vn"), 4, 0.5),
    ("Voso", "voso", "voso", ("voso.vn", "www.voso.vn"), 2, 1.0),
)


def seed_marketplaces() -> int:
    """Add the seeded marketplaces that are missing (by slug); return how many were added."""
    existing = set(db.session.scalars(select(Marketplace.slug)))
    added = 0
    for name, slug, adapter, hosts, concurrency, interval in SEEDED:
        if slug in existing:
            continue
        db.session.add(Marketplace(
            name=name, slug=slug, adapter=adapter, concurrency=concurrency,
            min_interval=interval, hosts=[MarketplaceHost(host=h) for h in hosts],
        ))
        added += 1
    return added
