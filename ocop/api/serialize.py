"""Records as JSON: the public fields for everyone, officer fields only when asked for.

Each function builds its dict field by field, so nothing personal leaks by being added to a
model later: a field is public only when it is written here.
"""

from datetime import date, datetime

from flask import current_app

from ..models import CATEGORIES, CheckRun, Listing, Product


def when(value: date | datetime | None) -> str | None:
    """A date as ISO 8601; stored times are UTC, so they say so."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat()


def listing(item: Listing, officer: bool, with_product: bool = False) -> dict:
    """A listing: where it is, its status, and what its latest check saw."""
    evidence = item.evidence or {}
    price = evidence.get("price")
    data = {
        "id": item.id,
        "marketplace": {"slug": item.marketplace.slug, "name": item.marketplace.name},
        "url": item.canonical_url,
        "status": item.status,
        "last_verdict": item.last_verdict,
        "verified_at": when(item.verified_at),
        "last_checked_at": when(item.last_checked_at),
        "stale": item.stale(current_app.config["FRESHNESS_DAYS"]),
        "seen": {
            "title": evidence.get("title"),
            "price": price if isinstance(price, int) and not isinstance(price, bool) else None,
            "availability": evidence.get("availability"),
        },
    }
    if with_product:
        data["product"] = {"code": item.product.code, "name": item.product.name}
    if officer:
        data["approved"] = item.approved
        data["evidence"] = {key: evidence.get(key) for key in ("rule", "detail", "final_url")}
        data["evidence"]["chain"] = evidence.get("chain") or []
    return data


def product(item: Product, officer: bool, listings: list[Listing]) -> dict:
    """A product with its producer and the `listings` the caller may see."""
    producer = item.producer
    data = {
        "code": item.code,
        "name": item.name,
        "group": {"number": item.category, "label": str(CATEGORIES[item.category])},
        "stars": item.stars,
        "status": item.status,
        "certified_on": when(item.certified_on),
        "expires_on": when(item.expires_on),
        "commune": producer.commune,
        "province": producer.province,
        "producer": {"name": producer.name, "kind": producer.kind},
        "listings": [listing(each, officer) for each in listings],
    }
    if officer:
        data["decision_no"] = item.decision_no
        data["producer"].update(tax_code=producer.tax_code, phone=producer.phone,
                                email=producer.email, representative=producer.representative)
    return data


def run(item: CheckRun, progress: dict) -> dict:
    """A check run: its scope, state, times and how far it got (officers only)."""
    return {
        "id": item.id,
        "scope": item.scope,
        "scope_id": item.scope_id,
        "scope_label": item.scope_label,
        "origin": item.origin,
        "state": item.state,
        "created_at": when(item.created_at),
        "started_at": when(item.started_at),
        "heartbeat_at": when(item.heartbeat_at),
        "finished_at": when(item.finished_at),
        "degraded": list(item.degraded or []),
        "error": item.error,
        "progress": progress,
        "summary": item.summary,
    }


def share(counted: int, online: int, buyable: int, methods: dict[str, int]) -> dict:
    """Counts and the shares computed from them (percent, one decimal; None without a count),
    with the online products by method and the share a machine verified."""
    machine = sum(n for method, n in methods.items() if method != "person")
    return {"counted": counted, "online": online, "buyable": buyable,
            "share_online": round(100 * online / counted, 1) if counted else None,
            "share_buyable": round(100 * buyable / counted, 1) if counted else None,
            "online_by_method": methods,
            "share_machine": round(100 * machine / counted, 1) if counted else None}
