"""Postmart (VNPost's OCOP channel): HTML with the shared judgement."""

import re

from scrapers.adapters.base import Adapter


class Postmart(Adapter):
    """postmart.vn: `/p/<slug>-<id>.html`."""

    name = "postmart"
    item_patterns = (re.compile(r"^/p/(?:[^/]*-)?(?P<item>[A-Za-z0-9]+)\.html$"),)
    item_params = frozenset()


ADAPTER = Postmart()
