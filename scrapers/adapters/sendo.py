"""Sendo: HTML with the shared judgement; its item id is the number before `.html`.

Uncertain whether it still trades (DOMAIN.md); its shop API lives on another host and is not
asked, so the listing page alone decides.
"""

import re

from scrapers.adapters.base import Adapter


class Sendo(Adapter):
    """sendo.vn: `/<slug>-<id>.html`."""

    name = "sendo"
    item_patterns = (re.compile(r"^/(?:[^/]*-)?(?P<item>\d+)\.html$"),)
    item_params = frozenset()


ADAPTER = Sendo()
