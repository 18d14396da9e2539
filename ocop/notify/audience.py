"""Who may hear about an event, how often, where, and from when.

A producer hears only about their own producer's events; an officer or an administrator about
every listing and product event of the province; an administrator also about failed runs and
degraded marketplaces (`preferences.KINDS`). Each person hears a kind as often as they chose
(`preferences.chosen`; read here for every person at once). Deactivated accounts hear nothing.

**From when.** A message is only ever about events recorded at or after the person's *start*:
the later of their account's creation and `HORIZON` before now. So a new account, or the first
run of the queue on a registry with a long history, is not flooded with the past; an event the
queue never saw within the horizon (it was down for over a month) is not told late.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import NotificationPreference, User, Webhook
from . import preferences

HORIZON = timedelta(days=35)  # over a month: a monthly digest still finds its month's events


@dataclass(frozen=True)
class Channel:
    """Where one person's messages go: a channel of models.CHANNELS and its address."""

    name: str
    address: str


@dataclass
class Recipient:
    """A person who may hear something, with what the queue needs of them."""

    id: int
    email: str
    role: str
    producer_id: int | None
    producer: str | None  # the producer's name, for the reason a producer got a message
    language: str | None
    created_at: datetime
    channels: list[Channel]
    frequencies: dict[str, str] = field(default_factory=dict)  # kind: how often

    def start(self, now: datetime) -> datetime:
        """The earliest event this person may hear about (see the module's docstring)."""
        return max(now - HORIZON, self.created_at)

    def hears(self, kind: str, producer_id: int | None) -> bool:
        """Whether this person may hear about an event of `kind` of producer `producer_id`
        (None: the province's) at all, whatever they chose."""
        if kind not in preferences.KINDS[self.role]:
            return False
        return self.role != "producer" or producer_id == self.producer_id

    def kinds(self, frequency: str) -> set[str]:
        """The kinds this person hears about at `frequency`."""
        return {kind for kind, chosen in self.frequencies.items() if chosen == frequency}


def recipients(user_ids: list[int] | None = None) -> list[Recipient]:
    """Every active account (or those of `user_ids`) that hears anything, with its choices and
    channels, in three queries whatever their number."""
    users = (select(User).where(User.active).order_by(User.id)
             .options(db.joinedload(User.producer)))
    if user_ids is not None:
        users = users.where(User.id.in_(user_ids))
    found = list(db.session.scalars(users))
    stored: dict[int, dict[str, str]] = {}
    choices = select(NotificationPreference.user_id, NotificationPreference.kind,
                     NotificationPreference.frequency)
    if user_ids is not None:
        choices = choices.where(NotificationPreference.user_id.in_(user_ids))
    for user_id, kind, frequency in db.session.execute(choices):
        stored.setdefault(user_id, {})[kind] = frequency
    hooks = dict(db.session.execute(select(Webhook.user_id, Webhook.url)
                                    .where(Webhook.scope == "user")).all())
    people = []
    for user in found:
        # The same rule as preferences.chosen, for everyone at once.
        mine = stored.get(user.id, {})
        frequencies = {kind: mine.get(kind, preferences.DEFAULTS[user.role][kind])
                       for kind in preferences.kinds(user)}
        channels = [Channel("email", user.email)] if user.notify_email else []
        if user.id in hooks:
            channels.append(Channel("webhook", hooks[user.id]))
        if channels and set(frequencies.values()) != {"never"}:
            people.append(Recipient(user.id, user.email, user.role, user.producer_id,
                                    user.producer.name if user.producer else None,
                                    user.language, user.created_at, channels,
                                    frequencies))
    return people
