"""The engine's settings, built from the app's OCOP_* configuration and the marketplace rows."""

from flask import current_app
from sqlalchemy import select

from scrapers.model import Politeness, Settings

from ..config import VERSION, allowed_endpoints, allowed_networks, user_agent
from ..extensions import db
from ..models import Marketplace
from . import processes

__all__ = ["VERSION", "allowed_networks", "engine_settings", "user_agent"]


def engine_settings(concurrency: int | None = None, workers: int = 1, *, parts: int = 1,
                    fetch: str | None = None) -> Settings:
    """Settings for one run, with each marketplace's own politeness; when `workers` processes
    share a run (RQ), each takes its part, so the marketplace sees the limits it was given.
    With `parts` (`ocop check` spread over processes; `fetch`: the run's own fetch method) a
    marketplace that processes.splits is shared out the same way; the others are checked
    whole by one part, under their whole limits."""
    config = current_app.config
    rows = db.session.execute(select(Marketplace.slug, Marketplace.concurrency,
                                     Marketplace.min_interval, Marketplace.fetch))

    def politeness(allowed: int, interval: float, route: str) -> Politeness:
        split = workers * (parts if processes.splits(allowed, fetch or route, parts) else 1)
        return Politeness(max(1, allowed // split), interval * split)

    return Settings(
        user_agent=user_agent(config),
        allowed_networks=allowed_networks(config["SCRAPER_ALLOWED_NETWORKS"]),
        allowed_endpoints=allowed_endpoints(config["SCRAPER_ALLOWED_ENDPOINTS"]),
        read_timeout=float(config["SCRAPER_TIMEOUT"]),
        total_timeout=float(config["SCRAPER_TOTAL_TIMEOUT"]),
        retries=int(config["SCRAPER_RETRIES"]),
        backoff=float(config["SCRAPER_BACKOFF"]),
        robots=bool(config["SCRAPER_ROBOTS"]),
        polite=bool(config["SCRAPER_POLITE"]),
        concurrency=concurrency or int(config["SCRAPER_CONCURRENCY"]),
        screenshot_max_bytes=int(config["SCREENSHOT_MAX_KB"]) * 1024,
        marketplaces={slug: politeness(n, interval, route)
                      for slug, n, interval, route in rows},
    )
