"""The engine's settings, built from the app's OCOP_* configuration and the marketplace rows."""

import ipaddress
import re

from flask import current_app
from sqlalchemy import select

from scrapers.model import Politeness, Settings

from ..extensions import db
from ..models import Marketplace
from ..text import fold

VERSION = "0.1"


def user_agent(config) -> str:
    """A User-Agent that names the operator, so a marketplace knows whom to ask."""
    if config["SCRAPER_USER_AGENT"]:
        return config["SCRAPER_USER_AGENT"]
    province = fold(config["PROVINCE"]).replace("dd", "d").title()  # header values are ASCII
    contact = f"; +{config['SCRAPER_CONTACT']}" if config["SCRAPER_CONTACT"] else ""
    return (f"OCOPListingTracker/{VERSION} (OCOP listing verification for {province} "
            f"province{contact})")


def allowed_networks(value) -> tuple[str, ...]:
    """OCOP_SCRAPER_ALLOWED_NETWORKS as a tuple; a list or a comma/space separated string."""
    items = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", str(value or ""))
    networks = tuple(item for item in items if item)
    for network in networks:
        ipaddress.ip_network(network, strict=False)  # a typo fails loudly at start, not later
    return networks


def engine_settings(concurrency: int | None = None, workers: int = 1) -> Settings:
    """Settings for one run, with each marketplace's own politeness; when `workers` processes
    share a run (RQ), each takes its part, so the marketplace sees the limits it was given."""
    config = current_app.config
    rows = db.session.execute(select(Marketplace.slug, Marketplace.concurrency,
                                     Marketplace.min_interval))
    return Settings(
        user_agent=user_agent(config),
        allowed_networks=allowed_networks(config["SCRAPER_ALLOWED_NETWORKS"]),
        read_timeout=float(config["SCRAPER_TIMEOUT"]),
        total_timeout=float(config["SCRAPER_TOTAL_TIMEOUT"]),
        retries=int(config["SCRAPER_RETRIES"]),
        backoff=float(config["SCRAPER_BACKOFF"]),
        robots=bool(config["SCRAPER_ROBOTS"]),
        polite=bool(config["SCRAPER_POLITE"]),
        concurrency=concurrency or int(config["SCRAPER_CONCURRENCY"]),
        screenshot_max_bytes=int(config["SCREENSHOT_MAX_KB"]) * 1024,
        marketplaces={slug: Politeness(max(1, n // workers), interval * workers)
                      for slug, n, interval in rows},
    )
