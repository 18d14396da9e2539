"""Uploaded files kept between the preview and the confirmation, tied to the user's session."""

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, session
from flask_login import current_user

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{22}$"
KEEP_SECONDS = 24 * 3600  # an unconfirmed upload is forgotten after a day
SESSION_KEY = "workbook_upload"


@dataclass(frozen=True)
class Upload:
    """A stored upload: its token, the name the officer gave it, and where it lies."""

    token: str
    name: str
    path: Path


def folder() -> Path:
    """WORKBOOK_UPLOAD_FOLDER, by default instance/uploads; created on first use."""
    path = Path(current_app.config.get("WORKBOOK_UPLOAD_FOLDER")
                or Path(current_app.instance_path) / "uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(file) -> Upload:
    """Keep an uploaded file under a random token that only this session knows."""
    sweep()
    name = Path(file.filename or "").name[-120:] or "upload"
    token = secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-]: safe in a path
    # The stored name is ours, never the uploader's: no path tricks, no clashes.
    path = folder() / f"{token}{Path(name).suffix.lower()}"
    file.save(path)
    session[SESSION_KEY] = {"token": token, "name": name, "suffix": path.suffix,
                            "user": current_user.id}
    return Upload(token, name, path)


def find(token: str) -> Upload | None:
    """The upload `token` names, if this session's user stored it and it is still there."""
    kept = session.get(SESSION_KEY)
    if not kept or kept.get("token") != token or kept.get("user") != current_user.id:
        return None
    path = folder() / f"{token}{kept['suffix']}"
    return Upload(token, kept["name"], path) if path.is_file() else None


def discard(upload: Upload) -> None:
    """Delete a stored upload and forget it."""
    upload.path.unlink(missing_ok=True)
    if session.get(SESSION_KEY, {}).get("token") == upload.token:
        session.pop(SESSION_KEY)


def sweep() -> None:
    """Delete uploads nobody confirmed in time."""
    limit = time.time() - KEEP_SECONDS
    for path in folder().iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
