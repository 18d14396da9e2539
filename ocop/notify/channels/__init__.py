"""Where a message goes: one module per channel, named as `Delivery.channel` names it.

A channel module exposes `Sender`, built once for a batch by `Sender(config)`: `send(delivery)`
sends one message or raises `SendError`, `close()` ends the batch (an SMTP connection is
reused across a batch). Adding a channel (a Zalo Official Account) is one module here and its
name in `ocop.models.CHANNELS`.
"""

import importlib
from typing import Protocol

from ...models import Delivery


class SendError(Exception):
    """A message not sent; `retry` says whether trying again later may help (a relay down, a
    timeout) or not (an address refused, a receiver that answers 4xx)."""

    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


class Sender(Protocol):
    """What every channel module's `Sender` class provides."""

    def send(self, delivery: Delivery) -> None: ...

    def close(self) -> None: ...


def sender(channel: str, config) -> Sender:
    """A sender for `channel` (a module of this package) on the app's `config`."""
    module = importlib.import_module(f"{__name__}.{channel}")
    return module.Sender(config)
