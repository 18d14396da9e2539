"""`ocop notify …`: notifications from the command line (cron runs `ocop notify send` daily)."""

import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import User, utcnow

notify_group = AppGroup("notify", help="Notifications: what is due, to whom, and sending it.")


@notify_group.command("send")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many messages.")
def send_command(limit: int | None) -> None:
    """Record the events no run produces (certificates expiring, expired products on sale,
    closed months), queue what is due (digests of finished days and months too), then send
    it; say how many went, wait or failed."""
    from . import events, outbox, queue  # the channels load only for the command that sends

    now = utcnow()
    events.find_due(now)
    queued = queue.queue_due(now)
    db.session.commit()
    click.echo(_("Đã xếp %(count)d tin vào hàng đợi.", count=queued))
    if not outbox.enabled():
        click.echo(_("Thông báo đang tắt: chưa đặt OCOP_MAIL_SERVER. Tin nhắn vẫn nằm trong "
                     "hàng đợi, không mất tin nào."))
        return
    counts = outbox.deliver(limit=limit)
    click.echo(_("Đã gửi %(sent)d tin; %(retrying)d tin sẽ gửi lại sau; %(failed)d tin thất bại.",
                 sent=counts.sent, retrying=counts.retrying, failed=counts.failed))


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
