"""`ocop notify …`: notifications from the command line."""

import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import User, utcnow

notify_group = AppGroup("notify", help="Notifications: what is due, to whom.")


@notify_group.command("preview")
@click.option("--user", "email", required=True, help="The account's email.")
def preview_command(email: str) -> None:
    """Show what the user would receive now, without queuing or sending anything."""
    from .queue import preview

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(_("Không có tài khoản %(email)s.", email=email))
    messages = preview(user, utcnow())
    if not messages:
        click.echo(_("Lúc này không có tin nào cho %(email)s.", email=user.email))
    for message in messages:
        click.echo(f"=== {message['channel']} → {message['address']} ({message['key']})")
        click.echo(message["subject"])
        body = message["body"]
        click.echo(body["text"] if message["channel"] == "email"
                   else json.dumps(body, ensure_ascii=False, indent=2))
