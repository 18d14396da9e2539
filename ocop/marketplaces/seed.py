"""The marketplaces every registry starts with; their hosts are data officers can change."""

from sqlalchemy import select

from ..extensions import db
from ..models import Marketplace, MarketplaceHost

# (name, slug, adapter, hosts, requests in flight, seconds between two request starts, fetch):
# gentle enough for a marketplace to notice nothing, quick enough that a 100,000-listing
# monthly run ends within one night (the arithmetic is in the README). Shopee and TikTok Shop
# serve a plain HTTP client an empty app shell and Lazada a captcha, so they are read "auto":
# HTTP first, the browser when HTTP could not see the listing.
SEEDED = (
    ("Shopee", "shopee", "shopee", ("shopee.vn", "www.shopee.vn"), 2, 0.5, "auto"),
    ("Lazada", "lazada", "lazada", ("lazada.vn", "www.lazada.vn"), 2, 1.0, "auto"),
    ("Tiki", "tiki", "tiki", ("tiki.vn", "www.tiki.vn"), 4, 1.0, "http"),
    ("TikTok Shop", "tiktok", "tiktok", ("shop.tiktok.com", "www.tiktok.com"), 1, 2.0, "auto"),
    ("Sendo", "sendo", "sendo", ("sendo.vn", "www.sendo.vn"), 2, 1.0, "http"),
    ("Postmart", "postmart", "postmart", ("postmart.vn", "www.postmart.vn"), 4, 0.5, "http"),
    ("Voso", "voso", "voso", ("voso.vn", "www.voso.vn"), 2, 1.0, "http"),
)


def seed_marketplaces() -> int:
    """Add the seeded marketplaces that are missing (by slug); return how many were added."""
    existing = set(db.session.scalars(select(Marketplace.slug)))
    added = 0
    for name, slug, adapter, hosts, concurrency, interval, fetch in SEEDED:
        if slug in existing:
            continue
        db.session.add(Marketplace(
            name=name, slug=slug, adapter=adapter, concurrency=concurrency,
            min_interval=interval, fetch=fetch, hosts=[MarketplaceHost(host=h) for h in hosts],
        ))
        added += 1
    return added
