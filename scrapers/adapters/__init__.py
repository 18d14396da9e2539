"""Adapters by name: each judges one marketplace's listing pages (see `base` for precedence).

One module here per marketplace, and nothing elsewhere: the module declares `ADAPTER`, an
instance of its `Adapter` subclass, whose class holds all that is known of the marketplace (its
listing URL shapes and item parameters, its share-link hosts, its API and browser hooks). The
registry finds the modules itself, so adding a marketplace is adding one module; modules without
`ADAPTER` (`base`, `api`) are shared code.

`get(name).check(target, fetch)` returns a Finding; `fetch(url, *, accept=None)` is the engine's
guarded GET. Adapters hold no state, so one instance serves every thread.
"""

import importlib
import pkgutil

from scrapers.adapters.base import Adapter


def discover() -> dict[str, Adapter]:
    """Every adapter a module of this package declares, by name: generic first, then A–Z."""
    found: dict[str, Adapter] = {}
    for module in pkgutil.iter_modules(__path__):
        adapter = getattr(importlib.import_module(f"{__name__}.{module.name}"), "ADAPTER", None)
        if adapter is None:
            continue
        if adapter.name in found:
            raise RuntimeError(f"two adapter modules declare the name {adapter.name!r}")
        found[adapter.name] = adapter
    return dict(sorted(found.items(), key=lambda pair: (pair[0] != "generic", pair[0])))


ADAPTERS: dict[str, Adapter] = discover()


def get(name: str) -> Adapter:
    """The adapter called `name`; KeyError for a name no adapter has."""
    try:
        return ADAPTERS[name]
    except KeyError:
        raise KeyError(f"no adapter named {name!r}") from None


__all__ = ["ADAPTERS", "Adapter", "discover", "get"]
