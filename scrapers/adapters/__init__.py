"""Adapters by name: each judges one marketplace's listing pages (see `base` for precedence).

`get(name).check(target, fetch)` returns a Finding; `fetch(url, *, accept=None)` is the engine's
guarded GET. Adapters hold no state, so one instance serves every thread.
"""

from scrapers.adapters.base import Adapter
from scrapers.adapters.generic import Generic
from scrapers.adapters.lazada import Lazada
from scrapers.adapters.postmart import Postmart
from scrapers.adapters.sendo import Sendo
from scrapers.adapters.shopee import Shopee
from scrapers.adapters.tiki import Tiki
from scrapers.adapters.tiktok import TikTok
from scrapers.adapters.voso import Voso

ADAPTERS: dict[str, Adapter] = {
    adapter.name: adapter
    for adapter in (Generic(), Shopee(), Lazada(), Tiki(), TikTok(), Sendo(), Postmart(), Voso())
}


def get(name: str) -> Adapter:
    """The adapter called `name`; KeyError for a name no adapter has."""
    try:
        return ADAPTERS[name]
    except KeyError:
        raise KeyError(f"no adapter named {name!r}") from None


__all__ = ["ADAPTERS", "Adapter", "get"]
