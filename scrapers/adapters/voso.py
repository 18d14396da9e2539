"""Voso (Viettel Post): HTML and OpenGraph tags, behind Cloudflare.

A Cloudflare challenge (status 403 or 503 with "Just a moment...", or 200 with the challenge
markup, or `cf-mitigated: challenge`) is caught by the shared judgement and is blocked.
"""

import re

from scrapers.adapters.base import Adapter


class Voso(Adapter):
    """voso.vn: `/<slug>-p<id>.html`."""

    name = "voso"
    item_patterns = (re.compile(r"^/(?:[^/]*-)?p(?P<item>\d+)\.html$"),)
    item_params = frozenset()


ADAPTER = Voso()
