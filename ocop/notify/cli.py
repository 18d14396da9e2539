"""`ocop notify …`: sending what the outbox holds (cron runs `ocop notify send`)."""

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

notify_group = AppGroup("notify", help="Notifications: email and webhooks.")


@notify_group.command("send")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many messages.")
def send_command(limit: int | None) -> None:
    """Send the notifications that are due; say how many went, wait or failed."""
    from . import outbox  # the channels load only for the command that sends

    if not outbox.enabled():
        click.echo(_("Thông báo đang tắt: chưa đặt OCOP_MAIL_SERVER. Tin nhắn vẫn nằm trong "
                     "hàng đợi, không mất tin nào."))
        return
    counts = outbox.deliver(limit=limit)
    click.echo(_("Đã gửi %(sent)d tin; %(retrying)d tin sẽ gửi lại sau; %(failed)d tin thất bại.",
                 sent=counts.sent, retrying=counts.retrying, failed=counts.failed))
