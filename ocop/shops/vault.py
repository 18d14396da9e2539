"""Shops' tokens sealed at rest: Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography`
package, https://cryptography.io/en/latest/fernet/) under OCOP_TOKEN_KEY, or a key generated once
into the instance folder (mode 0600) when that is unset, for a single machine."""

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

__all__ = ["InvalidToken", "instance_key", "seal", "unseal"]


def instance_key(folder: Path) -> bytes:
    """The key kept in `folder`, created on first use readable by this user only (O_EXCL: two
    processes starting at once agree on one key)."""
    path = folder / "token_key"
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(handle, "wb") as file:
        file.write(Fernet.generate_key())
    return path.read_bytes().strip()


def fernet() -> Fernet:
    """The app's sealing key; a malformed OCOP_TOKEN_KEY fails loudly here."""
    configured = current_app.config["TOKEN_KEY"]
    key = configured.encode() if configured else instance_key(Path(current_app.instance_path))
    return Fernet(key)


def seal(secret: str) -> str:
    """`secret` encrypted and authenticated, as text for the database."""
    return fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    """The secret `seal` made; InvalidToken when the key differs or the text was altered."""
    return fernet().decrypt(sealed.encode()).decode()
