"""Which kinds of event each role may hear about, how often each user hears about them, and
the defaults a user starts with (no NotificationPreference row: the role's default).

A producer hears about their own listings and products; an officer may hear about every
listing and product of the province, and gets the closed month's digest; an administrator also
hears when a run failed or a marketplace was degraded.
"""

from ..extensions import db
from ..models import EVENT_KINDS, FREQUENCIES, NotificationPreference, User

OWN = ("listing_removed", "listing_out_of_stock", "listing_unseen", "listing_back",
       "certificate_90", "certificate_30", "expired_on_sale", "proposal_approved",
       "proposal_refused")
KINDS = {
    "producer": OWN,
    "officer": (*OWN, "month_closed"),
    "admin": (*OWN, "month_closed", "run_failed", "marketplace_degraded"),
}
assert set(KINDS["admin"]) == set(EVENT_KINDS), "an event kind nobody can hear about"
# A producer hears about their own at once; an officer gets the month's digest and may ask for
# the rest daily; an administrator hears of failures at once.
DEFAULTS = {
    "producer": dict.fromkeys(OWN, "instant"),
    "officer": {**dict.fromkeys(OWN, "never"), "month_closed": "monthly"},
    "admin": {**dict.fromkeys(OWN, "never"), "month_closed": "monthly", "run_failed": "instant",
              "marketplace_degraded": "instant"},
}
assert all(set(DEFAULTS[r]) == set(KINDS[r]) for r in KINDS), "a kind without a default"
assert all(f in FREQUENCIES for d in DEFAULTS.values() for f in d.values())


def kinds(user: User) -> tuple[str, ...]:
    """The kinds of event `user`'s role may hear about."""
    return KINDS[user.role]


def chosen(user: User) -> dict[str, str]:
    """How often `user` hears about each kind their role may hear about."""
    stored = dict(db.session.execute(
        db.select(NotificationPreference.kind, NotificationPreference.frequency)
        .where(NotificationPreference.user_id == user.id)).all())
    return {kind: stored.get(kind, DEFAULTS[user.role][kind]) for kind in kinds(user)}


def choose(user: User, frequencies: dict[str, str]) -> None:
    """Store `user`'s choices (kinds their role may hear about only); the caller commits."""
    allowed = set(kinds(user))
    for kind, frequency in frequencies.items():
        if kind not in allowed or frequency not in FREQUENCIES:
            raise ValueError(f"{kind}: {frequency}")
        row = db.session.get(NotificationPreference, (user.id, kind))
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind,
                                                  frequency=frequency))
        else:
            row.frequency = frequency
