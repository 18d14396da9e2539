"""Postmart (VNPost's OCOP channel): HTML with the shared judgement."""

from scrapers.adapters.base import Adapter


class Postmart(Adapter):
    """postmart.vn: `/p/<slug>-<id>.html`."""

    name = "postmart"
